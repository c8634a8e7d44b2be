#!/usr/bin/env bash
# Starts and stops the local servers Arbiter's tests and local runs need, on 127.0.0.1 only.
#   infra/servers.sh start azurite      install (npm ci, from the committed lockfile) and start
#   infra/servers.sh stop azurite       stop only the process this script started
#   infra/servers.sh start cosmos       local Cosmos DB test server (@vercel/cosmosdb-server, memory only, plain HTTP on
#                                       COSMOS_BACKEND_PORT) behind the keep-alive HTTPS proxy on COSMOS_PORT (the one clients use)
# State (pid files, logs, data) lives in .run/ at the repository root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
run="$root/.run"
mkdir -p "$run"

install_npm() {
  # npm ci from the committed lockfile; skipped when node_modules already matches it.
  if [ ! -f "$here/node_modules/.package-lock.json" ] || ! cmp -s "$here/package-lock.json" "$run/npm.lock.installed"; then
    echo "installing local servers (npm ci in infra/)..."
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$here/package-lock.json" "$run/npm.lock.installed"
  fi
}

wait_for_port() { # port timeout-seconds
  local port=$1 deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then return 1; fi
    sleep 0.2
  done
}

ports_of() {
  case "$1" in
    azurite) echo "${AZURITE_BLOB_PORT:-10000} ${AZURITE_QUEUE_PORT:-10001} ${AZURITE_TABLE_PORT:-10002}" ;;
    cosmos) echo "${COSMOS_PORT:-8081} ${COSMOS_BACKEND_PORT:-8082}" ;;
    *) echo "unknown server: $1" >&2; exit 2 ;;
  esac
}

start() {
  local name=$1 pidfile="$run/$1.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$name already running (pid $(cat "$pidfile"))"; return 0
  fi
  install_npm
  local ports; ports=$(ports_of "$name")
  for p in $ports; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "port $p is already in use by another process; refusing to start $name" >&2; exit 1
    fi
  done
  case "$name" in
    azurite)
      rm -rf "$run/azurite-data"; mkdir -p "$run/azurite-data"
      # --disableTelemetry: without it Azurite ignores SIGTERM. Data in a throw-away folder.
      setsid "$here/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck \
        --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
        --blobPort "${AZURITE_BLOB_PORT:-10000}" --queuePort "${AZURITE_QUEUE_PORT:-10001}" --tablePort "${AZURITE_TABLE_PORT:-10002}" \
        --location "$run/azurite-data" >"$run/azurite.log" 2>&1 &
      ;;
    cosmos)
      # One process group: the server (it closes every connection) and the keep-alive proxy in front of it.
      COSMOS_PORT="${COSMOS_PORT:-8081}" COSMOS_BACKEND_PORT="${COSMOS_BACKEND_PORT:-8082}" here="$here" \
        setsid bash -c 'node "$here/node_modules/@vercel/cosmosdb-server/lib/cli.js" --host 127.0.0.1 --port "$COSMOS_BACKEND_PORT" --no-ssl &
          exec node "$here/cosmos-keepalive-proxy.js" --host 127.0.0.1 --port "$COSMOS_PORT" --target-port "$COSMOS_BACKEND_PORT"' \
        >"$run/cosmos.log" 2>&1 &
      ;;
  esac
  echo $! >"$pidfile"
  for p in $ports; do
    if ! wait_for_port "$p" 60; then
      echo "$name did not open port $p within 60 s; log follows" >&2; cat "$run/$name.log" >&2; stop "$name"; exit 1
    fi
  done
  echo "$name started (pid $(cat "$pidfile"), ports $ports)"
}

stop() {
  local name=$1 pidfile="$run/$1.pid"
  [ -f "$pidfile" ] || { echo "$name not started by this script"; return 0; }
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "$name stopped"
}

cmd=${1:-}; shift || true
case "$cmd" in
  install) install_npm ;;
  start) for s in "$@"; do start "$s"; done ;;
  stop) for s in "$@"; do stop "$s"; done ;;
  *) echo "usage: $0 install | start NAME... | stop NAME..." >&2; exit 2 ;;
esac
