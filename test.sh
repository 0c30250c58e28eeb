#!/usr/bin/env bash
# Builds and runs every test project; ends with one line: "Tests: N passed, N failed[, N skipped]".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Exit code 8 ("no tests ran") only means a project has no tests yet; real failures still fail.
dotnet test --solution Wafer.slnx -c Release --ignore-exit-code 8 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Microsoft.Testing.Platform prints a summary block per run: total / failed / succeeded / skipped.
read -r passed failed skipped < <(awk '
  /^[[:space:]]*failed:/    { f = $2 }
  /^[[:space:]]*succeeded:/ { p = $2 }
  /^[[:space:]]*skipped:/   { s = $2 }
  END { print (p == "" ? 0 : p), (f == "" ? 0 : f), (s == "" ? 0 : s) }' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "test.sh: the build or test run failed (exit $status)" >&2; fi
if [ "$skipped" -gt 0 ]; then
  echo "Tests: $passed passed, $failed failed, $skipped skipped"
else
  echo "Tests: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
