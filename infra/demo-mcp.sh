#!/usr/bin/env bash
# The MCP enforcement demo, end to end: Arbiter (self-hosted, demo tenant, Development auth on loopback), the local
# development token issuer, the sample HR MCP server protected by Arbiter.Mcp, then the console agent walking the
# demo step by step. Stops everything it started when it ends. Ports: Arbiter 5080, issuer 5090, MCP server 5100
# (override with ARBITER_PORT, ISSUER_PORT, MCP_PORT). Arbiter's data is a fresh .run/demo-mcp.db each run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
arbiter="http://127.0.0.1:${ARBITER_PORT:-5080}"
issuer="http://127.0.0.1:${ISSUER_PORT:-5090}"
mcp="http://127.0.0.1:${MCP_PORT:-5100}"
mkdir -p .run
rm -f .run/demo-mcp.db .run/demo-mcp.db-*

for project in src/Arbiter.Server samples/Arbiter.Samples.DevIssuer samples/Arbiter.Samples.HrServer samples/Arbiter.Samples.Agent; do
  dotnet build "$project" -c Release -v q -nologo -clp:ErrorsOnly
done
bin() { echo "$root/$1/bin/Release/net10.0"; }

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT

# wait_for URL NAME: until the URL answers at all (any HTTP status), at most 60 s.
wait_for() {
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  echo "$2 did not start (see .run/$2.log)" >&2
  exit 1
}

(cd "$(bin src/Arbiter.Server)" && exec dotnet Arbiter.Server.dll --urls "$arbiter" --Arbiter:PublicBaseUrl "$arbiter" \
  --Auth:Mode Development --Auth:DevelopmentTenant demo \
  --Store:Kind Sqlite --Store:SqlitePath "$root/.run/demo-mcp.db" --Snapshot:Tenants demo \
  --Seed:File "$root/infra/seed/demo-tenant.json" --Seed:Tenant demo) >.run/arbiter.log 2>&1 &
pids+=($!)
(cd "$(bin samples/Arbiter.Samples.DevIssuer)" && exec dotnet Arbiter.Samples.DevIssuer.dll --url "$issuer") >.run/issuer.log 2>&1 &
pids+=($!)
wait_for "$arbiter/health" arbiter
wait_for "$issuer/.well-known/openid-configuration" issuer
(cd "$(bin samples/Arbiter.Samples.HrServer)" && exec dotnet Arbiter.Samples.HrServer.dll --urls "$mcp" \
  --HrServer:Authority "$issuer" --Arbiter:Client:Endpoint "$arbiter/") >.run/hr-mcp.log 2>&1 &
pids+=($!)
wait_for "$mcp/mcp" hr-mcp

echo "Arbiter $arbiter · development issuer $issuer · HR MCP server $mcp/mcp (logs in .run/)"
dotnet "$(bin samples/Arbiter.Samples.Agent)/Arbiter.Samples.Agent.dll" --mcp "$mcp/mcp" --issuer "$issuer" --arbiter "$arbiter"
