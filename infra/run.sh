#!/usr/bin/env bash
# The main job: the self-hosted decision server on its embedded SQLite store, seeded with the demo tenant,
# listening on http://127.0.0.1:5080 (override with ARBITER_URL). Authentication is off (Development mode),
# which the server allows only on loopback. Data lives in .run/demo.db; delete it to start over.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
url="${ARBITER_URL:-http://127.0.0.1:5080}"
mkdir -p .run
exec dotnet run --project src/Arbiter.Server -c Release -- \
  --urls "$url" \
  --Arbiter:PublicBaseUrl "$url" \
  --Auth:Mode Development --Auth:DevelopmentTenant demo \
  --Store:Kind Sqlite --Store:SqlitePath "$root/.run/demo.db" \
  --Snapshot:Tenants demo \
  --Seed:File "$root/infra/seed/demo-tenant.json" --Seed:Tenant demo \
  "$@"
