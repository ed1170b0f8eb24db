#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, for tests that need one.
#
# - installs Debian's docker.io when dockerd is missing (apt-get update first);
# - starts dockerd in the background when no engine answers, ALWAYS with
#   --bridge=none --iptables=false --ip-masq=false: the defaults rewrite the
#   machine's firewall. Containers must then use --network=host or none;
# - waits until `docker info` works (APOGEE_DOCKER_WAIT_SECONDS, default 60 s).
#
# The PID of a dockerd started here is written to $APOGEE_DOCKERD_PIDFILE
# (default /tmp/apogee-dockerd.pid) so that whoever started it can stop it by PID.
# An engine that already answers is left alone. Idempotent.
set -euo pipefail

wait_seconds="${APOGEE_DOCKER_WAIT_SECONDS:-60}"
pidfile="${APOGEE_DOCKERD_PIDFILE:-/tmp/apogee-dockerd.pid}"
logfile="${APOGEE_DOCKERD_LOG:-/tmp/apogee-dockerd.log}"

log() { echo "[docker.sh] $*" >&2; }

if docker info >/dev/null 2>&1; then
  log "a Docker engine already answers"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ]; then
    log "dockerd is missing and installing it needs root"
    exit 1
  fi
  log "installing docker.io with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  log "dockerd started earlier (pid $(cat "$pidfile")) is still starting"
else
  log "starting dockerd (log: $logfile)"
  # setsid: the daemon must not die with this script's session.
  setsid dockerd --bridge=none --iptables=false --ip-masq=false >"$logfile" 2>&1 < /dev/null &
  echo $! >"$pidfile"
fi

deadline=$((SECONDS + wait_seconds))
until docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "no Docker engine answered within ${wait_seconds}s; last daemon log lines:"
    tail -n 20 "$logfile" >&2 || true
    exit 1
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "dockerd exited; last daemon log lines:"
    tail -n 20 "$logfile" >&2 || true
    exit 1
  fi
  sleep 0.5
done
log "Docker engine ready (dockerd pid $(cat "$pidfile"))"
