#!/usr/bin/env bash
# The main job: the self-hosted decision server on its embedded store, seeded with the demo tenant,
# listening on http://127.0.0.1:5080 (override with ARBITER_URL).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
url="${ARBITER_URL:-http://127.0.0.1:5080}"
exec dotnet run --project src/Arbiter.Server -c Release -- --urls "$url" "$@"
