#!/usr/bin/env bash
# Long context side by side: wafer bench engine -d and llama-bench -d (prompt processing of P tokens and decode of N tokens
# after D tokens already in the cache), then the peak RSS of one 16k-token prefill from an empty cache, each program alone.
# Usage: LLAMA_BIN=$(../shared/tools/build_llama_cpp.sh) bench/long-context.sh MODEL [DEPTHS] [P] [N] [REPS] [OUT]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="${1:?usage: bench/long-context.sh MODEL [DEPTHS] [P] [N] [REPS] [OUT]}"
depths="${2:-0,4096,16384}"; p="${3:-512}"; n="${4:-32}"; reps="${5:-1}"; out="${6:-$(mktemp -d)}"
bin="${LLAMA_BIN:?set LLAMA_BIN to the llama.cpp bin folder that ../shared/tools/build_llama_cpp.sh prints}"
./wafer --help >/dev/null
mkdir -p "$out"
echo "## wafer bench engine -p $p -n $n -d $depths -r $reps -t 2 (F32 KV cache)"
./wafer bench engine "$model" -p "$p" -n "$n" -d "$depths" -r "$reps" -t 2 --json "$out/wafer.json"
echo "## llama-bench -p $p -n $n -d $depths -r $reps -t 2, default (flash attention auto, F16 KV cache)"
"$bin/llama-bench" -m "$model" -p "$p" -n "$n" -d "$depths" -r "$reps" -t 2 -o md | tee "$out/llama-default.md"
echo "## llama-bench, as the golden files run it (-fa 0 -ctk f32 -ctv f32)"
"$bin/llama-bench" -m "$model" -p "$p" -n "$n" -d "$depths" -r "$reps" -t 2 -fa 0 -ctk f32 -ctv f32 -o md | tee "$out/llama-f32.md"
echo "## peak RSS of one 16384-token prefill (max resident KiB from /usr/bin/time)"
/usr/bin/time -f "wafer bench engine -p 16384 -n 0 -r 1: %M KiB" ./wafer bench engine "$model" -p 16384 -n 0 -r 1 -t 2 >/dev/null
/usr/bin/time -f "llama-bench -p 16384 -n 0 -r 1 (default): %M KiB" "$bin/llama-bench" -m "$model" -p 16384 -n 0 -r 1 -t 2 >/dev/null
echo "results in $out"
