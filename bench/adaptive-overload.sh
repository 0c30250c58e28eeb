#!/usr/bin/env bash
# The adaptive mode under an overload: `wafer serve MODEL` with a small fixed KV cache, without and then with --adaptive,
# each under the same open-loop `wafer bench serve` at a rate above its capacity (chat workload, 128 output tokens,
# ignore_eos). Prints a Markdown row per mode (429s, TTFT, the share of responses served at reduced precision, preemptions)
# and writes the raw JSON under artifacts/bench/adaptive-<time>/.
# usage: bench/adaptive-overload.sh MODEL.gguf [requests=120] [rate=4] [kv-cache-mb=64] [threads=2]
#   KV_TYPE: the full precision (--kv-type), f32 unless set: the docs' rows were measured with an F32 cache, before F16 became
#   the serving default (KV_TYPE=f16 measures today's default; --adaptive then reduces to q8_0 as before).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:?usage: bench/adaptive-overload.sh MODEL.gguf [requests] [rate] [kv-cache-mb] [threads]}"
requests="${2:-120}"; rate="${3:-4}"; mib="${4:-64}"; threads="${5:-2}"
name="$(basename "$model" .gguf)"
out="$root/artifacts/bench/adaptive-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
port=18191
"$root/wafer" --help >/dev/null
wait_healthy() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0; sleep 0.2; done; echo "server on $port never became healthy" >&2; return 1; }
for mode in off on; do
  extra=(); [ "$mode" = on ] && extra=(--adaptive)
  "$root/wafer" serve "$model" --port "$port" --threads "$threads" --max-seqs 16 --max-queue 8 --kv-cache-mb "$mib" --ctx 1024 \
    --kv-type "${KV_TYPE:-f32}" --alias "$name" "${extra[@]}" >"$out/serve-$mode.log" 2>&1 &
  pid=$!; trap 'kill $pid 2>/dev/null || true' EXIT
  wait_healthy
  "$root/wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests "$requests" --rate "$rate" --output-tokens 128 \
    --ignore-eos --workload chat --seed 1 --warmup 2 --label "adaptive-$mode" --json "$out/$mode.json" >"$out/$mode.txt"
  curl -sf "http://127.0.0.1:$port/metrics" >"$out/metrics-$mode.txt"
  kill $pid; wait $pid 2>/dev/null || true
done
python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
print("| --adaptive | requests | ok | 429 | other errors | out tok/s | TTFT p50 ms | TTFT p99 ms | E2E p99 ms | served at | preemptions |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for mode in ("off", "on"):
    run = json.load(open(f"{out}/{mode}.json"))["runs"][0]
    errors = dict(run["errors_by_status"])
    throttled = errors.pop("429", 0)
    other = ", ".join(f"{k} {v}" for k, v in errors.items()) or "0"
    ok = run["requests_completed"]
    kv = run.get("kv_precision", {})
    served = ", ".join(f"{k} {v} ({100 * v / max(ok, 1):.0f} %)" for k, v in sorted(kv.items())) or "–"
    metrics = open(f"{out}/metrics-{mode}.txt").read()
    pre = sum(float(m) for m in re.findall(r"^wafer_preemptions_total(?:\{[^}]*\})? (\S+)$", metrics, re.M))
    t, e = run["ttft_ms"], run["e2e_ms"]
    print(f"| {mode} | {ok + run['errors']} | {ok} | {throttled} | {other} | {run['output_token_throughput']:.1f} | "
          f"{t['p50']:.0f} | {t['p99']:.0f} | {e['p99']:.0f} | {served} | {pre:.0f} |")
PY
echo "raw: $out" >&2
