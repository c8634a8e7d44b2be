#!/usr/bin/env bash
# The test command: installs what the tests need, starts the local servers, builds once, runs every
# test project, stops what it started, and ends with "N passed, N failed" counted from the TRX files.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="$root/.run/test-results"
rm -rf "$results"; mkdir -p "$results"

servers=(azurite cosmos)
cleanup() { infra/servers.sh stop "${servers[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

infra/servers.sh start "${servers[@]}" || { echo "0 passed, 1 failed (local servers did not start)"; exit 1; }
export ARBITER_TEST_STORAGE="UseDevelopmentStorage=true"
# The reviewer page's browser tests (tests/Arbiter.Review.Tests) drive Debian's chromium through Playwright's
# ExecutablePath: Playwright's own browser download cannot reach its CDN. Installed quietly, only when missing.
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (apt-get, for the reviewer page tests)..."
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium; } \
    >"$root/.run/chromium-install.log" 2>&1 || echo "chromium could not be installed (.run/chromium-install.log); the reviewer page tests will fail"
fi
# Screenshots of the reviewer pages land beside the TRX files.
export ARBITER_TEST_RESULTS="$results"
# The local Cosmos test server behind its keep-alive proxy; it accepts any key. The query-plan interop is needed before
# the first CosmosClient of the process for ORDER BY/TOP queries against it.
export ARBITER_TEST_COSMOS_LOCAL="https://127.0.0.1:${COSMOS_PORT:-8081}/"
export ARBITER_TEST_COSMOS_LOCAL_KEY="YXJiaXRlci1sb2NhbC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtYXJiaXRlci1sb2NhbC10ZXN0LWtleQ=="
export AZURE_COSMOS_USE_QUERY_PLAN_INTEROP_LINUX=true

status=0
broken=()
if ! dotnet build Serverless.sln -c Release --nologo -v q -clp:ErrorsOnly; then
  echo "0 passed, 1 failed (build failed)"; exit 1
fi

# Tests that need a real Cosmos DB account run only when one is given (see tests/Arbiter.DecisionLog.Tests).
filter="Requires!=RealCosmos"
if [ -n "${ARBITER_TEST_COSMOS_ENDPOINT:-}" ]; then filter="FullyQualifiedName!=none"; fi

for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  # A hung test fails its project after 5 minutes instead of stalling the run.
  dotnet test "$project" -c Release --no-build --nologo -v q --filter "$filter" --blame-hang-timeout 5m \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1200000 || { status=1; broken+=("$name"); }
done

# A project that failed without a failing result (a crash or a hang) still counts as a failure in the summary.
node infra/trx-summary.js "$results" "${#broken[@]}" || status=1
exit $status
