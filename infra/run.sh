#!/usr/bin/env bash
# The main job: the self-hosted decision server on its embedded SQLite store, seeded with the demo tenant,
# listening on http://127.0.0.1:5080 (override with ARBITER_URL). Authentication is off (Development mode),
# which the server allows only on loopback. Data lives in .run/demo.db; delete it to start over.
# Governance is on: Azurite (infra/servers.sh, from the committed lockfile) carries the review-task queue on
# 127.0.0.1:${AZURITE_QUEUE_PORT:-10011} (ports apart from the tests' 10000-10002), drift runs every 15 s, and the
# seed's governance part opens reviews within the first minute. The reviewer page is at $url/review/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
url="${ARBITER_URL:-http://127.0.0.1:5080}"
mkdir -p .run
export AZURITE_BLOB_PORT="${AZURITE_BLOB_PORT:-10010}" AZURITE_QUEUE_PORT="${AZURITE_QUEUE_PORT:-10011}" AZURITE_TABLE_PORT="${AZURITE_TABLE_PORT:-10012}"
started_azurite=0
if ! { [ -f .run/azurite.pid ] && kill -0 "$(cat .run/azurite.pid)" 2>/dev/null; }; then
  infra/servers.sh start azurite
  started_azurite=1
fi
stop_azurite() { if [ "$started_azurite" = 1 ]; then infra/servers.sh stop azurite >/dev/null 2>&1 || true; fi; }
trap stop_azurite EXIT
if ! (exec 3<>"/dev/tcp/127.0.0.1/$AZURITE_QUEUE_PORT") 2>/dev/null; then
  echo "Azurite (infra/servers.sh) is running, but not on queue port $AZURITE_QUEUE_PORT (the tests' run?): stop it with 'infra/servers.sh stop azurite' or set AZURITE_QUEUE_PORT" >&2
  exit 1
fi
# Azurite's well-known development account (public, documented by Microsoft; it protects nothing).
storage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:${AZURITE_QUEUE_PORT}/devstoreaccount1"
dotnet build src/Arbiter.Server -c Release --nologo -v q -clp:ErrorsOnly
# The server runs as a child (not exec) so Azurite is stopped after it; a TERM or Ctrl+C reaches both.
dotnet src/Arbiter.Server/bin/Release/net10.0/Arbiter.Server.dll --contentRoot "$root/src/Arbiter.Server" \
  --urls "$url" \
  --Arbiter:PublicBaseUrl "$url" \
  --Auth:Mode Development --Auth:DevelopmentTenant demo \
  --Store:Kind Sqlite --Store:SqlitePath "$root/.run/demo.db" \
  --Snapshot:Tenants demo \
  --Seed:File "$root/infra/seed/demo-tenant.json" --Seed:Tenant demo \
  --Governance:Queue "$storage" \
  --Governance:Schedule:DriftSeconds 15 \
  "$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
wait "$server" || wait "$server"
