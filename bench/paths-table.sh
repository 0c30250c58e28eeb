#!/usr/bin/env bash
# One model, the paths a user sees, one after the other in the same minute: the forward pass alone
# (`wafer bench engine -p 0 -n 128`), `wafer run` greedy, `wafer run --temp 0.8 --top-p 0.95`, and `wafer serve` under
# `wafer bench serve` at c=1 (1000 / ITL p50; chat prompts of 200±50 tokens, and 16-token prompts, which decode over the
# same context as the forward pass). Prints one Markdown row; raw output under artifacts/bench/paths-<time>/.
# usage: bench/paths-table.sh MODEL.gguf [rounds=3] [wafer-root=this checkout]
#   Medians over the rounds; each ratio is to the forward pass of its own round.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; reps="${2:-3}"; root="${3:-$here}"
name="$(basename "$model" .gguf)"
out="$here/artifacts/bench/paths-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
wafer="$root/wafer"
# The machine's memory bandwidth drifts from minute to minute, so the paths are measured in turns, `reps` rounds of all
# five, and each round's ratios to its own forward pass are kept; the row shows medians.
port=18192
"$wafer" serve "$model" --port "$port" --threads 2 --max-seqs 16 --alias "$name" >"$out/serve.log" 2>&1 &
pid=$!; trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
serve() { # label, prompt tokens, round
  "$wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests 4 --concurrency 1 --output-tokens 128 \
    --prompt-tokens "$2" --ignore-eos --workload chat --seed "$3" --warmup 1 --json "$out/$1-$3.json" >"$out/$1-$3.txt" 2>&1
}
run() { # label, round, extra args
  "$wafer" run "$model" -p "Once upon a time" -n 128 -t 2 --seed "$2" "${@:3}" 2>&1 >/dev/null | grep -o 'generated: .*' >"$out/$1-$2.txt"
}
for i in $(seq 1 "$reps"); do
  "$wafer" bench engine "$model" -p 0 -n 128 -t 2 -r 1 --json "$out/engine-$i.json" >"$out/engine-$i.txt" 2>&1
  run greedy "$i" --temp 0
  run sampled "$i" --temp 0.8 --top-p 0.95
  serve served-chat "200±50" "$i"
  serve served-short "16±0" "$i"
done
python3 - "$out" "$name" "$reps" <<'PY'
import json, re, statistics, sys
out, name, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
def forward(i):
    return next(r for r in json.load(open(f"{out}/engine-{i}.json"))["results"] if r["test"].startswith("tg"))["tokens_per_second"]
def run(label, i):
    return float(re.search(r"\(([\d.]+) tokens/s\)", open(f"{out}/{label}-{i}.txt").read())[1])
def served(label, i):
    return 1000 / json.load(open(f"{out}/{label}-{i}.json"))["runs"][0]["itl_ms"]["p50"]
paths = [lambda i: run("greedy", i), lambda i: run("sampled", i), lambda i: served("served-chat", i), lambda i: served("served-short", i)]
f = [forward(i) for i in range(1, reps + 1)]
cells = []
for p in paths:
    v = [p(i) for i in range(1, reps + 1)]
    cells.append(f"{statistics.median(v):.0f} ({statistics.median(x / y for x, y in zip(v, f)):.2f}×)")
print("| model | forward pass | `wafer run --temp 0` | `wafer run --temp 0.8 --top-p 0.95` | served c=1, chat 200±50 | served c=1, 16-token prompts |")
print("|---|---|---|---|---|---|")
print(f"| {name} | {statistics.median(f):.0f} (range {min(f):.0f}–{max(f):.0f}) | " + " | ".join(cells) + " |")
PY
echo "raw: $out" >&2
