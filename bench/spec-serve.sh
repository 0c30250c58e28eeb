#!/usr/bin/env bash
# Speculative decoding under load: `wafer serve MODEL` without speculation, then with it (SPEC, default "--spec ngram"),
# each under the same `wafer bench serve` sweep (chat workload, c = 1, 4, 16, OUT output tokens, ignore_eos). Prints per
# level: output tok/s, TPOT (per-request (e2e − TTFT) / (tokens − 1)), and the drafts proposed and accepted (from the
# server's wafer_spec_* metrics, read before and after each level). Raw JSON under artifacts/bench/spec-serve-<time>/.
# PREDICTED=1: greedy requests, and with speculation on each request also sends its own answer (collected by one
# unmeasured pass) as OpenAI's `prediction` (`wafer bench serve --greedy` off, `--predicted` on): the Predicted Outputs case.
# usage: [PREDICTED=1] bench/spec-serve.sh MODEL.gguf [requests=32] [out=128] [SPEC args…]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; requests="${2:-32}"; tokens="${3:-128}"; shift $(( $# < 3 ? $# : 3 ))
spec=("$@"); [ ${#spec[@]} -eq 0 ] && spec=(--spec ngram)
name="$(basename "$model" .gguf)"
out="$root/artifacts/bench/spec-serve-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
port=18192
metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%d\n", s }'; }
for mode in off on; do
  args=(); [ "$mode" = on ] && args=("${spec[@]}")
  "$root/wafer" serve "$model" --port "$port" --threads 2 --max-seqs 16 --alias "$name" "${args[@]}" >"$out/serve-$mode.log" 2>&1 &
  pid=$!; trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  "$root/wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests 4 --concurrency 1 --output-tokens 16 --ignore-eos --seed 9 --warmup 0 >/dev/null
  mode_args=(); [ "${PREDICTED:-0}" = 1 ] && { [ "$mode" = on ] && mode_args=(--predicted) || mode_args=(--greedy); }
  for c in 1 4 16; do
    d0=$(metric wafer_spec_draft_tokens_total); a0=$(metric wafer_spec_accepted_tokens_total)
    "$root/wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests "$requests" --concurrency "$c" --output-tokens "$tokens" \
      --ignore-eos --workload chat --seed 1 --warmup 0 "${mode_args[@]}" --json "$out/$mode-c$c.json" >"$out/$mode-c$c.txt"
    echo "$(( $(metric wafer_spec_draft_tokens_total) - d0 )) $(( $(metric wafer_spec_accepted_tokens_total) - a0 ))" >"$out/$mode-c$c.spec"
  done
  kill $pid; wait $pid 2>/dev/null || true
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def load(mode, c):
    run = json.load(open(f"{out}/{mode}-c{c}.json"))["runs"][0]
    drafted, accepted = map(int, open(f"{out}/{mode}-c{c}.spec").read().split())
    return run, drafted, accepted
print("| load | off: out tok/s | on: out tok/s | on / off | off: TPOT p50 ms | on: TPOT p50 ms | drafts | accepted |")
print("|---|---|---|---|---|---|---|---|")
for c in (1, 4, 16):
    off, _, _ = load("off", c)
    on, drafted, accepted = load("on", c)
    rate = f"{accepted} ({100 * accepted / drafted:.0f} %)" if drafted else "0"
    print(f"| c={c} | {off['output_token_throughput']:.1f} | {on['output_token_throughput']:.1f} | "
          f"{on['output_token_throughput'] / off['output_token_throughput']:.2f} | {off['tpot_ms']['p50']:.2f} | {on['tpot_ms']['p50']:.2f} | {drafted} | {rate} |")
PY
echo "raw: $out" >&2
