#!/usr/bin/env bash
# Profiles the served c=1 path: `wafer serve MODEL` under `wafer bench serve` (chat workload, 128 output tokens, one
# request at a time), sampled system-wide by `perf record -e cpu-clock` (both processes, every thread, the kernel too),
# with JIT symbols from DOTNET_PerfMapEnabled=1. Prints where the machine's time went: per thread and per part of the code.
# usage: bench/profile-serve.sh MODEL.gguf [requests=24] [wafer-root=this checkout]
#   Another checkout as wafer-root profiles its code (e.g. a `git worktree` of an older commit) with this script's report.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; requests="${2:-24}"; root="${3:-$here}"
command -v perf >/dev/null || { echo "profile-serve: needs perf (apt-get install -y linux-perf)" >&2; exit 1; }
name="$(basename "$model" .gguf)"
out="$here/artifacts/bench/profile-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$out"
port=18191
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 # JIT code in plain memory, so perf resolves it through /tmp/perf-PID.map
"$root/wafer" serve "$model" --port "$port" --threads 2 --max-seqs 16 --alias "$name" >"$out/serve.log" 2>&1 &
pid=$!; trap 'kill $pid 2>/dev/null || true; rm -f /tmp/perf-*.map' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
# One unmeasured pass first so that every code path has been compiled before sampling starts.
"$root/wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests 4 --concurrency 1 --output-tokens 128 \
  --ignore-eos --workload chat --seed 2 --warmup 0 >/dev/null
perf record -e cpu-clock -F 1999 -a -g -o "$out/perf.data" -- \
  "$root/wafer" bench serve --url "http://127.0.0.1:$port" --model "$name" --requests "$requests" --concurrency 1 --output-tokens 128 \
    --ignore-eos --workload chat --seed 1 --warmup 0 --json "$out/bench.json" >"$out/bench.txt" 2>"$out/perf-record.log"
perf report -i "$out/perf.data" --no-children --sort comm,dso,sym --stdio -g none 2>/dev/null >"$out/report.txt"
python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
rows = []
for line in open(f"{out}/report.txt", errors="replace"):
    f = re.split(r"\s{2,}", line.strip(), maxsplit=3)  # percent, thread, object, "[.] symbol" (names may hold single spaces)
    if len(f) == 4 and f[0].endswith("%") and f[3][:1] == "[":
        rows.append((float(f[0][:-1]), f[1], f[2], f[3][4:].strip()))
def part(comm, dso, sym):
    if comm.startswith("swapper"): return "idle"
    if not (comm.startswith("wafer") or comm.startswith(".NET") or comm == "dotnet"): return "other processes"
    m = re.search(r"\] ([\w.`]+)::", sym)  # JIT frames: "void [Assembly] Namespace.Type::Method(...)"
    name = m[1] if m else ""
    for prefix, label in (("Wafer.Kernels.Gemm", "matmul tiles"), ("Wafer.Kernels.Quantization", "matmul (row dots, quantize)"),
                          ("Wafer.Kernels.Parallelism", "worker pool (spin, hand-off)"), ("Wafer.Kernels.Ops.VectorMath", "attention (dot / axpy rows)"),
                          ("Wafer.Kernels.Ops.Softmax", "attention (dot / axpy rows)"), ("Wafer.Models.Architectures.CausalAttention", "attention (dot / axpy rows)"),
                          ("Wafer.Kernels", "other kernels (norm, rope, activations)"), ("Wafer.Models.Sampling", "sampling"),
                          ("Wafer.Models.Tokenization", "detokenize"), ("Wafer.Models", "model glue"), ("Wafer.Engine", "engine loop, KV bookkeeping"),
                          ("Wafer.Server", "server (Wafer)"), ("Wafer.OpenAi", "server (Wafer)"), ("Wafer.Bench", "load generator (Wafer.Bench)"),
                          ("Microsoft.AspNetCore", "ASP.NET / Kestrel"), ("System.Text.Json", "JSON"), ("System.Net", "HTTP, sockets (managed)"),
                          ("System.Threading", "threads, channels, tasks (managed)"), ("System.IO.Pipelines", "ASP.NET / Kestrel"),
                          ("System.Collections.Generic.ArraySortHelper", "sorting (CoreLib: a full sort of the vocabulary)")):
        if name.startswith(prefix): return label
    if dso.startswith("[kernel"): return "OS kernel (syscalls, scheduler, network)"
    if "coreclr" in dso: return ".NET runtime native (spin-wait, GC, thread waits)"
    return "other managed / native code"
by_thread, by_part = {}, {}
for pct, comm, dso, sym in rows:
    key = "idle" if comm.startswith("swapper") else comm
    by_thread[key] = by_thread.get(key, 0) + pct
    p = part(comm, dso, sym)
    by_part[p] = by_part.get(p, 0) + pct
run = json.load(open(f"{out}/bench.json"))["runs"][0]
print(f"served c=1: {run['requests_completed']} requests, ITL p50 {run['itl_ms']['p50']:.2f} ms, {run['output_token_throughput']:.1f} output tok/s")
print("\n| thread (both processes) | share of 2 cores |\n|---|---|")
for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1])[:10]: print(f"| {k} | {v:.1f} % |")
print("\n| part of the code | share of 2 cores |\n|---|---|")
for k, v in sorted(by_part.items(), key=lambda kv: -kv[1]): print(f"| {k} | {v:.1f} % |")
PY
echo "raw: $out (perf report -i $out/perf.data)" >&2
