#!/usr/bin/env bash
# Serves one model with `wafer serve` and with llama-server (v0.5.0, -t 2 -np 16), one after the other on the same port
# range, and load-tests both with the same `wafer bench serve` command (chat workload, 128 output tokens, ignore_eos) at
# c=1 and c=16. Prints a Markdown row per system and level; raw JSON under artifacts/bench/serve-vs-llama-<time>/.
# usage: bench/serve-vs-llama.sh MODEL.gguf [requests=32] [threads=2]
#   LLAMA_BIN=$(../shared/tools/build_llama_cpp.sh) must point at llama.cpp's bin folder (built once, ~15 min).
#   WAFER_SERVE_ARGS / LLAMA_SERVER_ARGS: more flags for each server, e.g. "--kv-type q8_0" and "-ctk q8_0 -ctv q8_0 -fa on".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; requests="${2:-32}"; threads="${3:-2}"
: "${LLAMA_BIN:?set LLAMA_BIN=\$(../shared/tools/build_llama_cpp.sh)}"
name="$(basename "$model" .gguf)"
out="$root/artifacts/bench/serve-vs-llama-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
port=18190
wait_healthy() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0; sleep 0.2; done; echo "server on $port never became healthy" >&2; return 1; }
run_levels() { # label
  "$root/wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests "$requests" --sweep 1,16 --output-tokens 128 \
    --ignore-eos --workload chat --seed 1 --warmup 2 --label "$1" --json "$out/$1.json" >"$out/$1.txt"
}
"$root/wafer" serve "$model" --port "$port" --threads "$threads" --max-seqs 16 --alias "$name" ${WAFER_SERVE_ARGS:-} >"$out/wafer-serve.log" 2>&1 &
pid=$!; trap 'kill $pid 2>/dev/null || true' EXIT
wait_healthy; run_levels wafer; kill $pid; wait $pid 2>/dev/null || true
LD_LIBRARY_PATH="$LLAMA_BIN" "$LLAMA_BIN/llama-server" -m "$model" --port "$port" -t "$threads" -np 16 -c $((16 * 2048)) --alias "$name" ${LLAMA_SERVER_ARGS:-} \
  >"$out/llama-server.log" 2>&1 &
pid=$!
wait_healthy; run_levels llama-server; kill $pid; wait $pid 2>/dev/null || true
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| system | load | ok | errors | out tok/s | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | ITL p99 ms | 1000 / ITL p50 |")
print("|---|---|---|---|---|---|---|---|---|---|")
for label in ("wafer", "llama-server"):
    for run in json.load(open(f"{out}/{label}.json"))["runs"]:
        t, i = run["ttft_ms"], run["itl_ms"]
        errors = ", ".join(f"{k} {v}" for k, v in run["errors_by_status"].items()) or "0"
        print(f"| {label} | c={run['concurrency']} | {run['requests_completed']} | {errors} | {run['output_token_throughput']:.1f} | "
              f"{t['p50']:.1f} | {t['p99']:.1f} | {i['p50']:.2f} | {i['p99']:.2f} | {1000 / i['p50']:.0f} |")
PY
echo "raw: $out" >&2
