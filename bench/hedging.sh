#!/usr/bin/env bash
# Hedging against stragglers, end to end with real processes: three `wafer bench fake-server` backends (a share of
# first tokens is late), one `wafer route` with a plain, a fixed-delay-hedged and an adaptive-hedged route over them,
# and `wafer bench serve` on each route. Prints a Markdown table (p50/p99 TTFT, extra requests).
# Usage: bench/hedging.sh [requests=1000] [concurrency=8] [straggler-fraction=0.05] [straggler-ms=1000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requests="${1:-1000}"; concurrency="${2:-8}"; fraction="${3:-0.05}"; straggle="${4:-1000}"
out="$root/artifacts/hedging/$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
base=$((20000 + RANDOM % 20000))
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
"$root/wafer" bench fake-server --help >/dev/null # build once, before the processes start in parallel

wait_healthy() {
  for _ in $(seq 1 100); do curl -sf "$1/health" >/dev/null && return 0; sleep 0.1; done
  echo "hedging.sh: $1 did not become healthy" >&2; exit 1
}

backends=""
for i in 0 1 2; do
  port=$((base + i))
  "$root/wafer" bench fake-server --port "$port" --seed "$((i + 1))" --ttft-ms 10 --itl-ms 2 \
    --straggler-fraction "$fraction" --straggler-ms "$straggle" >"$out/fake$i.log" 2>&1 & pids+=($!)
  backends+="${backends:+, }{\"name\": \"f$i\", \"url\": \"http://127.0.0.1:$port\", \"models\": [\"plain\", \"fixed\", \"adaptive\"]}"
done
cat >"$out/router.json" <<JSON
{"backends": [$backends],
 "routes": [
  {"model": "plain", "backends": ["f0", "f1", "f2"], "policy": "least-outstanding"},
  {"model": "fixed", "backends": ["f0", "f1", "f2"], "policy": "least-outstanding", "hedging": {"delayMs": 50, "budgetRatio": 0.1}},
  {"model": "adaptive", "backends": ["f0", "f1", "f2"], "policy": "least-outstanding",
   "hedging": {"adaptive": true, "percentile": 0.95, "minDelayMs": 20, "budgetRatio": 0.1}}]}
JSON
router="http://127.0.0.1:$((base + 10))"
"$root/wafer" route --config "$out/router.json" --port "$((base + 10))" >"$out/router.log" 2>&1 & pids+=($!)
for i in 0 1 2; do wait_healthy "http://127.0.0.1:$((base + i))"; done
wait_healthy "$router"

hedges() { curl -s "$router/metrics" | awk '/^wafer_router_hedges_sent_total/ {s += $NF} END {print s + 0}'; }
won() { curl -s "$router/metrics" | awk '/^wafer_router_hedges_won_total/ {s += $NF} END {print s + 0}'; }
for model in plain fixed adaptive; do
  before=$(hedges); won_before=$(won)
  "$root/wafer" bench serve --url "$router" --model "$model" --requests "$requests" --concurrency "$concurrency" \
    --prompt-tokens 50±10 --output-tokens 16 --warmup 1 --label "$model" --json "$out/$model.json" >"$out/$model.txt"
  echo "$model $(( $(hedges) - before )) $(( $(won) - won_before ))" >>"$out/hedges.txt"
done
"$root/wafer" bench report "$out/plain.json" "$out/fixed.json" "$out/adaptive.json" --html "$out/report.html" >/dev/null

python3 - "$out" "$requests" <<'PY'
import json, sys
out, requests = sys.argv[1], int(sys.argv[2]) + 1  # + the warm-up request
hedges = {m: (int(s), int(w)) for m, s, w in (line.split() for line in open(f"{out}/hedges.txt"))}
plain = json.load(open(f"{out}/plain.json"))["runs"][0]["ttft_ms"]["p99"]
print("| route | requests | TTFT p50 | TTFT p99 | p99 vs no hedging | hedges sent (extra requests) | hedges won |")
print("|---|---|---|---|---|---|---|")
for m in ("plain", "fixed", "adaptive"):
    run = json.load(open(f"{out}/{m}.json"))["runs"][0]
    t = run["ttft_ms"]; sent, won = hedges[m]
    print(f"| {m} | {run['requests_completed']} ok, {run['errors']} errors | {t['p50']:.1f} ms | {t['p99']:.1f} ms | "
          f"{plain / t['p99']:.1f}× | {sent} ({100 * sent / requests:.1f} %) | {won} |")
print(f"\nresults: {out}")
PY
