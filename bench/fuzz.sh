#!/usr/bin/env bash
# bench/fuzz.sh TARGET SECONDS — coverage-guided fuzzing of one Wafer input parser with SharpFuzz and AFL++.
#   targets: gguf, template, tokenizer, router-config, http (see bench/Wafer.Fuzz/FuzzTargets.cs)
# Needs afl-fuzz (apt-get install afl++) and the sharpfuzz tool (dotnet tool install --global SharpFuzz.CommandLine
# --version 2.3.0). Publishes bench/Wafer.Fuzz into artifacts/fuzz/bin, instruments the Wafer assemblies there (never the
# build the tests use), seeds artifacts/fuzz/TARGET/seeds, runs afl-fuzz for SECONDS, prints executions, paths, coverage,
# crashes and hangs, and replays each crash so that its exception shows. Findings stay in artifacts/fuzz/TARGET/findings.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: bench/fuzz.sh TARGET SECONDS" >&2; exit 2; fi
target=$1 seconds=$2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/fuzz"
bin="$out/bin"     # instrumented: runs only under afl-fuzz (its coverage map is AFL's shared memory)
plain="$out/plain" # the same build uninstrumented: writes the seeds, replays the crashes
work="$out/$target"
export PATH="$PATH:$HOME/.dotnet/tools" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v afl-fuzz >/dev/null || { echo "fuzz.sh: afl-fuzz not found; apt-get install afl++" >&2; exit 1; }
command -v sharpfuzz >/dev/null || { echo "fuzz.sh: sharpfuzz not found; dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0" >&2; exit 1; }

# Step 1: a fresh publish, and a copy instrumented in place (sharpfuzz rewrites each assembly once).
rm -rf "$bin" "$plain"
dotnet publish "$root/bench/Wafer.Fuzz" -c Release -o "$plain" --nologo -v quiet >/dev/null
cp -r "$plain" "$bin"
for dll in Wafer.Models Wafer.Router Wafer.Server Wafer.Engine Wafer.OpenAi; do
  sharpfuzz "$bin/$dll.dll" >/dev/null
done

# Step 2: seeds, written by the target itself.
rm -rf "$work"
dotnet "$plain/Wafer.Fuzz.dll" "$target" --seeds "$work/seeds"

# Step 3: afl-fuzz for SECONDS. dotnet itself is not instrumented (AFL_SKIP_BIN_CHECK); the first executions JIT, hence -t.
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  afl-fuzz -i "$work/seeds" -o "$work/findings" -t 5000 -m none -V "$seconds" -- dotnet "$bin/Wafer.Fuzz.dll" "$target" \
  > "$work/afl.log" 2>&1 || { tail -30 "$work/afl.log" >&2; exit 1; }

# Step 4: the figures, and each crash replayed outside AFL.
stats="$work/findings/default/fuzzer_stats"
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
echo "fuzz $target: $(value execs_done) executions in $(value run_time) s ($(value execs_per_sec)/s), $(value corpus_count) paths, coverage $(value bitmap_cvg), $(value saved_crashes) crashes, $(value saved_hangs) hangs"
for crash in "$work"/findings/default/crashes/id*; do
  [ -e "$crash" ] || continue
  echo "--- $crash"
  dotnet "$plain/Wafer.Fuzz.dll" "$target" --replay "$crash" 2>&1 | head -12 || true
done
