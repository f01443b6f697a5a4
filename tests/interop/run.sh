#!/usr/bin/env bash
# Runs the interop suite alone: ali-oss (pinned in package-lock.json) and plain HTTP clients (node:http, curl,
# Python urllib) against a real `oss-presign serve` on 127.0.0.1, plus the signature-equality table.
#   tests/interop/run.sh                 # npm ci if needed, build the CLI, run the Node suite
#   tests/interop/run.sh --with-dotnet   # also the .NET halves: AliOssSignatureEqualityTests and HttpClientUploadTests
# Needs: Node >= 20 with npm, the .NET SDK, curl, python3. Exit code non-zero when anything fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
with_dotnet=false
for arg in "$@"; do
  case "$arg" in
    --with-dotnet) with_dotnet=true ;;
    *) echo "usage: $0 [--with-dotnet]" >&2; exit 2 ;;
  esac
done

for tool in node npm dotnet curl python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not on PATH" >&2; exit 1; }
done

cd "$here"
# npm ci when node_modules is missing or older than the lock file.
if [[ ! -d node_modules/ali-oss || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

export OSS_PRESIGN_CLI_DLL="${OSS_PRESIGN_CLI_DLL:-$root/artifacts/interop/cli/oss-presign.dll}"
echo "Building the CLI into $(dirname "$OSS_PRESIGN_CLI_DLL")"
dotnet build "$root/src/OssPresign.Cli/OssPresign.Cli.csproj" -c Release -nologo -v q -o "$(dirname "$OSS_PRESIGN_CLI_DLL")"

status=0
# TAP reporter: its closing "# pass N" / "# fail N" lines are what CI counts. One file at a time (2 cores).
node --test --test-reporter=tap --test-concurrency=1 test/*.test.mjs || status=$?

if [[ "$with_dotnet" == true ]]; then
  dotnet test "$root/tests/OssPresign.Tests/OssPresign.Tests.csproj" -nologo -v q --filter "FullyQualifiedName~OssPresign.Tests.Interop" || status=$?
  dotnet test "$root/tests/OssPresign.Cli.Tests/OssPresign.Cli.Tests.csproj" -nologo -v q --filter "FullyQualifiedName~OssPresign.Cli.Tests.Interop" || status=$?
fi
exit "$status"
