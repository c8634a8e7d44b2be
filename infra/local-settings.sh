#!/usr/bin/env bash
# Creates functions/local.settings.json from local.settings.sample.json (never overwrites an existing one).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/functions/local.settings.json"
if [ -f "$target" ] && [ "${1:-}" != "--force" ]; then
  echo "$target exists; pass --force to overwrite it"; exit 0
fi
cp "$root/local.settings.sample.json" "$target"
echo "wrote $target"
