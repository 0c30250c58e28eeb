#!/usr/bin/env bash
# KV cache types side by side: the tokens a fixed --kv-cache-mb holds (wafer serve's start line), and wafer run's prompt and
# decode speed at two context depths, per type, in alternating rounds. Usage: bench/kv-types.sh MODEL [ROUNDS] [MIB]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="${1:?usage: bench/kv-types.sh MODEL [ROUNDS] [MIB]}"; rounds="${2:-2}"; mib="${3:-256}"
./wafer --help >/dev/null
echo "## capacity of --kv-cache-mb $mib (context 4096)"
for t in f32 f16 q8_0; do
  log="$(mktemp)"
  ./wafer serve "$model" --kv-cache-mb "$mib" --kv-type "$t" --port 0 --ctx 4096 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q "KV cache" "$log" && break; sleep 0.2; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$t: $(grep -o 'KV cache [0-9]* tokens ([^)]*)' "$log")"
  rm -f "$log"
done
text="$(cat ../shared/golden/ppl-text.txt)"
short="$text"; long=""
for _ in 1 2 3 4 5 6 7; do long="$long $text"; done
echo "## wafer run -n 128 --temp 0 -t 2 --ctx 4608 (prompt: golden/ppl-text.txt once, and 7 times)"
for r in $(seq 1 "$rounds"); do
  for depth in short long; do
    for t in f32 f16 q8_0; do
      prompt="$short"; [ "$depth" = long ] && prompt="$long"
      line="$(./wafer run "$model" -p "$prompt" -n 128 --temp 0 -t 2 --ctx 4608 --kv-type "$t" 2>&1 >/dev/null | tail -1)"
      echo "round $r $depth $t: $line"
    done
  done
done
