#!/usr/bin/env bash
# Runs `wafer bench memory` and `wafer bench engine` over the six benchmark models and prints Markdown rows
# (tokens/s next to the bandwidth bound measured in the same run). Usage: bench/engine-table.sh [threads] [reps]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="${1:-2}"; reps="${2:-5}"
out="$root/artifacts/bench/$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
"$root/wafer" bench memory -t "$threads" -r "$reps" --json "$out/memory.json" >/dev/null
for m in smollm2-135m-like qwen2.5-0.5b-like; do
  for t in Q8_0 Q4_0 Q4_K_M; do
    "$root/wafer" bench engine "$root/bench-models/$m-$t.gguf" -p 512 -n 128 -t "$threads" -r "$reps" --json "$out/$m-$t.json" >/dev/null
  done
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
mem = json.load(open(f"{out}/memory.json"))
llama = {"smollm2-135m-like-Q8_0": (777, 143), "smollm2-135m-like-Q4_0": (1143, 184), "smollm2-135m-like-Q4_K_M": (645, 139),
         "qwen2.5-0.5b-like-Q8_0": (274, 49.7), "qwen2.5-0.5b-like-Q4_0": (424, 66.6), "qwen2.5-0.5b-like-Q4_K_M": (229, 55.1)}
print(f"memory read bandwidth: {mem['gb_per_second']:.1f} ± {mem['stddev']:.1f} GB/s (best {mem['best_gb_per_second']:.1f}), {mem['threads']} threads")
print("| model file | MB | pp512 t/s | × llama.cpp | tg128 t/s | × llama.cpp | bandwidth bound tg | tg / bound |")
print("|---|---|---|---|---|---|---|---|")
for name, (lpp, ltg) in llama.items():
    r = json.load(open(f"{out}/{name}.json"))
    pp = next(x for x in r["results"] if x["test"] == "pp512"); tg = next(x for x in r["results"] if x["test"] == "tg128")
    size = os.path.getsize(os.path.join(os.path.dirname(out), "..", "..", "bench-models", name + ".gguf"))
    bound = mem["gb_per_second"] * 1e9 / size
    print(f"| {name} | {size/1e6:.0f} | {pp['tokens_per_second']:.1f} ± {pp['stddev']:.1f} | {pp['tokens_per_second']/lpp:.2f} | "
          f"{tg['tokens_per_second']:.1f} ± {tg['stddev']:.1f} | {tg['tokens_per_second']/ltg:.2f} | {bound:.0f} | {tg['tokens_per_second']/bound:.2f} |")
PY
echo "raw JSON: $out" >&2
