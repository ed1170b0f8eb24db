#!/usr/bin/env bash
# A real S3 server on 127.0.0.1 for tests and benchmarks: Ceph's radosgw on a one-node cluster
# (one monitor, one memstore OSD, auth off), installed from Debian when missing.
#
#   scripts/ci/s3-server.sh start   # idempotent; prints the endpoint and credentials (env lines)
#   scripts/ci/s3-server.sh stop    # stops the daemons this script started (by their PID files)
#   scripts/ci/s3-server.sh env     # prints the env lines of a running server
#
# Output of start/env, one per line, ready for `eval`:
#   APOGEE_S3_ENDPOINT=http://127.0.0.1:7480 APOGEE_S3_ACCESS_KEY=… APOGEE_S3_SECRET_KEY=… APOGEE_S3_REGION=us-east-1
#
# Settings (env): APOGEE_S3_DIR (state, default /tmp/apogee-s3), APOGEE_S3_PORT (7480),
# APOGEE_S3_MON_PORT (13300), APOGEE_S3_MEMORY_BYTES (memstore size, default 4 GiB: the data
# lives in RAM and is gone after stop), APOGEE_S3_WAIT_SECONDS (60).
#
# Why radosgw: it checks signatures and presigned-URL expiry like AWS does, multipart is real, it
# is ready in ~10 s and moves ~125 MB/s here. `ms_*_mode = crc` is required: with the default
# (secure) mode the client handshake hangs when auth is off.
set -euo pipefail

dir="${APOGEE_S3_DIR:-/tmp/apogee-s3}"
port="${APOGEE_S3_PORT:-7480}"
mon_port="${APOGEE_S3_MON_PORT:-13300}"
mem_bytes="${APOGEE_S3_MEMORY_BYTES:-4294967296}"
wait_seconds="${APOGEE_S3_WAIT_SECONDS:-60}"
access_key="apogee-test-access"
secret_key="apogee-test-secret-0123456789abcdef"
conf="$dir/ceph.conf"

log() { echo "[s3-server.sh] $*" >&2; }

print_env() {
  echo "APOGEE_S3_ENDPOINT=http://127.0.0.1:$port"
  echo "APOGEE_S3_ACCESS_KEY=$access_key"
  echo "APOGEE_S3_SECRET_KEY=$secret_key"
  echo "APOGEE_S3_REGION=us-east-1"
}

answers() { curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/" 2>/dev/null; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {
  for d in rgw osd mon; do
    if alive "$dir/$d.pid"; then
      pid="$(cat "$dir/$d.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      log "stopped $d (pid $pid)"
    fi
    rm -f "$dir/$d.pid"
  done
  rm -rf "$dir"
}

install() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null; then return; fi
  [ "$(id -u)" = "0" ] || { log "Ceph is missing and installing it needs root"; exit 1; }
  log "installing ceph-mon ceph-osd radosgw with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw >/dev/null
}

start() {
  if answers && [ -f "$dir/ready" ]; then print_env; return; fi
  install
  # A half-started cluster (killed machine, crashed daemon) is rebuilt from scratch.
  stop
  mkdir -p "$dir/mon.a" "$dir/osd.0" "$dir/run"
  local fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
auth cluster required = none
auth service required = none
auth client required = none
ms_mon_client_mode = crc
ms_client_mode = crc
ms_mon_cluster_mode = crc
ms_cluster_mode = crc
ms_service_mode = crc
ms_mon_service_mode = crc
ms_bind_ipv4 = true
ms_bind_ipv6 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
mon data = $dir/mon.\$id
osd data = $dir/osd.\$id
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/\$name.log
osd objectstore = memstore
memstore device bytes = $mem_bytes
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon osd down out interval = 0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw dns name = localhost
rgw enable usage log = false
rgw thread pool size = 64
EOF
  local c=(-c "$conf")
  monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
  ceph-mon "${c[@]}" -i a --pid-file "$dir/mon.pid"
  for _ in $(seq 1 100); do alive "$dir/mon.pid" && break; sleep 0.1; done
  local id
  id="$(timeout 20 ceph "${c[@]}" osd create)"
  ceph-osd "${c[@]}" -i "$id" --mkfs >/dev/null 2>&1
  ceph-osd "${c[@]}" -i "$id" --pid-file "$dir/osd.pid"
  timeout 20 ceph "${c[@]}" osd crush add "osd.$id" 1 root=default >/dev/null 2>&1 || true
  radosgw "${c[@]}" -n client.rgw --pid-file "$dir/rgw.pid"
  local t0=$SECONDS
  until answers; do
    if (( SECONDS - t0 > wait_seconds )); then log "radosgw did not answer in ${wait_seconds}s (logs in $dir)"; exit 1; fi
    sleep 0.3
  done
  until radosgw-admin "${c[@]}" user info --uid=apogee >/dev/null 2>&1 ||
    radosgw-admin "${c[@]}" user create --uid=apogee --display-name=apogee \
      --access-key="$access_key" --secret-key="$secret_key" >/dev/null 2>&1; do
    if (( SECONDS - t0 > wait_seconds )); then log "could not create the S3 user (logs in $dir)"; exit 1; fi
    sleep 0.5
  done
  touch "$dir/ready"
  log "radosgw answers on 127.0.0.1:$port (state in $dir)"
  print_env
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) answers && [ -f "$dir/ready" ] && print_env || { log "not running"; exit 1; } ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
