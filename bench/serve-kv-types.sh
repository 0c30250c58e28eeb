#!/usr/bin/env bash
# Serves one model with `wafer serve --kv-type T` for each type given, in alternating rounds, under the same `wafer bench serve`
# command as bench/serve-vs-llama.sh (chat workload, 128 output tokens, ignore_eos, c=1 and c=16). One line per type, round and level;
# raw JSON under artifacts/bench/serve-kv-types-<time>/.
# usage: bench/serve-kv-types.sh MODEL.gguf [rounds=2] [types="f32 f16"] [requests=32] [threads=2]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; rounds="${2:-2}"; types="${3:-f32 f16}"; requests="${4:-32}"; threads="${5:-2}"
name="$(basename "$model" .gguf)"; port=18290
out="$root/artifacts/bench/serve-kv-types-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
"$root/wafer" --help >/dev/null
for r in $(seq 1 "$rounds"); do
  for kv in $types; do
    "$root/wafer" serve "$model" --port "$port" --threads "$threads" --max-seqs 16 --alias "$name" --kv-type "$kv" >"$out/serve-$kv-$r.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
    "$root/wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests "$requests" --sweep 1,16 --output-tokens 128 \
      --ignore-eos --workload chat --seed 1 --warmup 2 --label "$kv" --json "$out/$kv-$r.json" >/dev/null
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$out/$kv-$r.json" "$kv" "$r" <<'PY'
import json, sys
for run in json.load(open(sys.argv[1]))["runs"]:
    t, i = run["ttft_ms"], run["itl_ms"]
    print(f"{sys.argv[2]} round {sys.argv[3]} c={run['concurrency']}: ok {run['requests_completed']}, out {run['output_token_throughput']:.1f} tok/s, "
          f"TTFT p50 {t['p50']:.0f} p99 {t['p99']:.0f} ms, ITL p50 {i['p50']:.2f} ms")
PY
  done
done
echo "raw: $out" >&2
