#!/usr/bin/env bash
# Decode speed with and without a grammar, in alternating rounds: `wafer run MODEL -n 128 --temp 0.8 --top-p 0.95` free,
# then the same seed constrained to the nested extraction schema (bench/grammars/extraction.schema.json, which ends after
# ~80–110 tokens) and to JSON lines (bench/grammars/json-lines.gbnf, which never has to end). Prints medians and the ratios.
# usage: bench/constrained-decode.sh MODEL.gguf [rounds=5] [temp=0.8]   (temp 0: greedy, which checks its choice before masking)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; rounds="${2:-5}"; temp="${3:-0.8}"
rate() { "$root/wafer" run "$model" -p "Once upon a time" -n 128 -t 2 --temp "$temp" --top-p 0.95 --seed "$1" "${@:2}" 2>&1 >/dev/null | sed -n 's/.*generated: .*(\([0-9.]*\) tokens\/s).*/\1/p'; }
free=(); schema=(); lines=()
for i in $(seq 1 "$rounds"); do
  free+=("$(rate "$i")")
  schema+=("$(rate "$i" --json-schema-file "$root/bench/grammars/extraction.schema.json")")
  lines+=("$(rate "$i" --grammar-file "$root/bench/grammars/json-lines.gbnf")")
done
python3 - "${free[*]}" "${schema[*]}" "${lines[*]}" <<'PY'
import statistics, sys
free, schema, lines = ([float(x) for x in a.split()] for a in sys.argv[1:4])
ratio = lambda c: statistics.median(x / y for x, y in zip(c, free))
print("| path | tokens/s (median) | × free, per round (median) |\n|---|---|---|")
print(f"| free | {statistics.median(free):.0f} | 1.00 |")
print(f"| JSON schema (nested extraction schema) | {statistics.median(schema):.0f} | {ratio(schema):.2f} |")
print(f"| GBNF (JSON lines) | {statistics.median(lines):.0f} | {ratio(lines):.2f} |")
PY
