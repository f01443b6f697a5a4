#!/usr/bin/env bash
# Runs the interop suite alone: ali-oss (pinned in package-lock.json) and plain HTTP clients (node:http, curl,
# Python urllib) against a real `oss-presign serve` on 127.0.0.1, plus the signature-equality table.
#   tests/interop/run.sh                 # npm ci if needed, build the CLI, run the Node suite
#   tests/interop/run.sh --with-dotnet   # also the .NET halves: AliOssSignatureEqualityTests and HttpClientUploadTests
#   tests/interop/run.sh --no-build      # use the CLI of `dotnet build OssPresign.slnx -c Release` (test.sh does this)
# Needs: Node >= 20 with npm, the .NET SDK, curl, python3. Exit code non-zero when anything fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
with_dotnet=false
build=true
for arg in "$@"; do
  case "$arg" in
    --with-dotnet) with_dotnet=true ;;
    --no-build) build=false ;;
    *) echo "usage: $0 [--no-build] [--with-dotnet]" >&2; exit 2 ;;
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

if [[ "$build" == true ]]; then
  export OSS_PRESIGN_CLI_DLL="${OSS_PRESIGN_CLI_DLL:-$root/artifacts/interop/cli/oss-presign.dll}"
  echo "Building the CLI into $(dirname "$OSS_PRESIGN_CLI_DLL")"
  dotnet build "$root/src/OssPresign.Cli/OssPresign.Cli.csproj" -c Release -nologo -v q -o "$(dirname "$OSS_PRESIGN_CLI_DLL")"
else
  export OSS_PRESIGN_CLI_DLL="${OSS_PRESIGN_CLI_DLL:-$root/src/OssPresign.Cli/bin/Release/net10.0/oss-presign.dll}"
  [[ -f "$OSS_PRESIGN_CLI_DLL" ]] || { echo "error: $OSS_PRESIGN_CLI_DLL is missing; build first or drop --no-build" >&2; exit 1; }
fi

status=0
# TAP reporter: its closing "# pass N" / "# fail N" lines are what CI counts. One file at a time (2 cores).
node --test --test-reporter=tap --test-concurrency=1 test/*.test.mjs || status=$?

if [[ "$with_dotnet" == true ]]; then
  # Builds them (Debug) unless --no-build, which then tests the Release build.
  no_build=(); [[ "$build" == true ]] || no_build=(-c Release --no-build)
  dotnet test "$root/tests/OssPresign.Tests/OssPresign.Tests.csproj" "${no_build[@]}" -nologo -v q --filter "FullyQualifiedName~OssPresign.Tests.Interop" || status=$?
  dotnet test "$root/tests/OssPresign.Cli.Tests/OssPresign.Cli.Tests.csproj" "${no_build[@]}" -nologo -v q --filter "FullyQualifiedName~OssPresign.Cli.Tests.Interop" || status=$?
fi
exit "$status"
