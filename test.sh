#!/usr/bin/env bash
# Runs every test suite: installs what is missing, builds, runs the .NET suites (library, server, CLI, browser,
# reliability; the library a second time on its fallback hashing path) and the interop suite (ali-oss, curl,
# Python, Node http), then prints one total line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

scripts/install-prerequisites.sh || { echo "Installing prerequisites failed." >&2; exit 1; }
dotnet build OssPresign.slnx -c Release -warnaserror || { echo "The build failed." >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test OssPresign.slnx -c Release --no-build 2>&1 | tee -a "$log" || status=1
# The library again on its fallback hashing path (.NET's IncrementalHash instead of libcrypto's SHA-256, as on
# systems without libcrypto.so.3), so every known-answer vector is proven on both.
OSSPRESIGN_DISABLE_OPENSSL_SHA256=1 dotnet test tests/OssPresign.Tests -c Release --no-build 2>&1 | tee -a "$log" || status=1
if [ -x tests/interop/run.sh ]; then
  tests/interop/run.sh --no-build 2>&1 | tee -a "$log" || status=1
fi

# Totals across runners: dotnet test ("Passed!  - Failed: 0, Passed: 12, ...") and node --test ("# pass 12").
passed=$(grep -oE '(Passed: +[0-9]+|^# pass [0-9]+)' "$log" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
failed=$(grep -oE '(Failed: +[0-9]+|^# fail [0-9]+)' "$log" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
[ "$failed" -eq 0 ] || status=1
[ "$passed" -gt 0 ] || { echo "No test ran." >&2; status=1; }
echo
echo "${passed} passed, ${failed} failed"
exit $status
