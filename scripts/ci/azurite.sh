#!/usr/bin/env bash
# Azurite (Microsoft's Azure Storage emulator, from the `azurite` npm package in node_modules) on
# 127.0.0.1, blob service only, data in memory.
#
#   scripts/ci/azurite.sh start   # idempotent; prints the env lines below
#   scripts/ci/azurite.sh stop    # stops the Azurite this script started (by its PID file)
#   scripts/ci/azurite.sh env
#
#   APOGEE_AZURE_ACCOUNT_URL=http://127.0.0.1:10000/devstoreaccount1
#   APOGEE_AZURE_ACCOUNT_KEY=…   (Azurite's published development key)
#   APOGEE_AZURE_CONNECTION_STRING=…
#
# Settings (env): APOGEE_AZURITE_PORT (10000), APOGEE_AZURITE_PIDFILE (/tmp/apogee-azurite.pid).
# `--skipApiVersionCheck`: the SDK speaks newer API versions than the emulator accepts.
# The test suites do not need this script: they spawn their own Azurite per file.
set -euo pipefail
cd "$(dirname "$0")/../.."

port="${APOGEE_AZURITE_PORT:-10000}"
pidfile="${APOGEE_AZURITE_PIDFILE:-/tmp/apogee-azurite.pid}"
logfile="${pidfile%.pid}.log"
account=devstoreaccount1
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

log() { echo "[azurite.sh] $*" >&2; }
answers() { curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/$account?comp=list" 2>/dev/null; }
print_env() {
  echo "APOGEE_AZURE_ACCOUNT_URL=http://127.0.0.1:$port/$account"
  echo "APOGEE_AZURE_ACCOUNT_KEY=$key"
  echo "APOGEE_AZURE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$port/$account;'"
}

case "${1:-start}" in
  start)
    if answers; then print_env; exit 0; fi
    main=node_modules/azurite/dist/src/blob/main.js
    [ -f "$main" ] || { log "azurite is not installed: run npm install"; exit 1; }
    nohup node "$main" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence \
      --skipApiVersionCheck --disableTelemetry --loose >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do answers && break; sleep 0.1; done
    answers || { log "Azurite did not answer on 127.0.0.1:$port (log: $logfile)"; exit 1; }
    log "Azurite answers on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    print_env
    ;;
  stop)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then kill "$(cat "$pidfile")"; log "stopped pid $(cat "$pidfile")"; fi
    rm -f "$pidfile"
    ;;
  env) answers && print_env || { log "not running"; exit 1; } ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
