#!/usr/bin/env bash
# A Citus cluster of aimass's own: a coordinator and two workers on localhost, each an embedded
# cluster (scripts/cluster.sh) with shared_preload_libraries = 'citus,aimass'.
#   scripts/citus.sh install   build and install Citus 13.2.2 when citus.so is missing
#   scripts/citus.sh start     start the three nodes and join the workers (idempotent)
#   scripts/citus.sh fresh     stop, remove the three clusters, start anew (the tests)
#   scripts/citus.sh stop
#   scripts/citus.sh psql ...  psql on the coordinator (database aimass_citus)
#   scripts/citus.sh psql-node N ...  psql on node N (0 the coordinator, 1 and 2 the workers)
#   scripts/citus.sh measure SQL  runs SQL in a coordinator session of its own and prints its
#                              seconds, the bytes its backend received from its sockets (the
#                              workers' results and its client's SQL: recvfrom traced by strace)
#                              and the SQL's first value
# Users get Citus from Citus's own packages; this script builds it from a source tarball only when
# citus.so is missing: $CITUS_SRC, else ../shared/vendor (this project's CI), else the release
# tarball from GitHub where a network is allowed. The one-line patch for Debian's PostgreSQL 15.20
# is scripts/citus/citus-13.2.2-pg15.20.patch.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg_env.sh
VERSION=13.2.2
PORTS=(${CITUS_PORTS:-55430 55431 55432})
NAMES=(citus-coordinator citus-worker1 citus-worker2)
DB=aimass_citus
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

node() { # index command...
  local i=$1; shift
  AIMASS_CLUSTER=${NAMES[$i]} AIMASS_PORT=${PORTS[$i]} AIMASS_CLUSTER_CONF="shared_preload_libraries = 'citus,aimass'
listen_addresses = 'localhost'
max_worker_processes = 32" "$@"
}
psql_on() { # index args...
  local i=$1; shift
  local dir; dir=$(node "$i" scripts/cluster.sh dir)
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "${PORTS[$i]}" -U postgres "$@"
}

install_citus() {
  [ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] && { echo "citus: installed"; return; }
  local src=${CITUS_SRC:-}
  [ -n "$src" ] || { [ -f ../shared/vendor/citus-$VERSION.tar.gz ] && src=../shared/vendor/citus-$VERSION.tar.gz; } || true
  mkdir -p build
  if [ -z "$src" ]; then
    src=build/citus-$VERSION.tar.gz
    curl -fsSL -o "$src" "https://github.com/citusdata/citus/archive/refs/tags/v$VERSION.tar.gz"
  fi
  $SUDO apt-get install -y -q liblz4-dev libzstd-dev libcurl4-openssl-dev libkrb5-dev libssl-dev \
    libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev patch >/dev/null
  rm -rf build/citus-src && mkdir -p build/citus-src
  tar xzf "$src" -C build/citus-src --strip-components=1
  (cd build/citus-src && patch -p1 < ../../scripts/citus/citus-$VERSION-pg15.20.patch >/dev/null \
     && ./configure --with-pg-version-check=no PG_CONFIG="$PG_CONFIG" >../citus-configure.log \
     && make -j2 >../citus-make.log 2>&1 && $SUDO make install >>../citus-make.log 2>&1) \
    || { tail -30 build/citus-make.log 2>/dev/null; echo "citus: build failed" >&2; exit 1; }
  echo "citus: built and installed $VERSION"
}

start() {
    install_citus >/dev/null
    for i in 0 1 2; do
      node "$i" scripts/cluster.sh start >/dev/null
      psql_on "$i" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
        || psql_on "$i" -d postgres -c "CREATE DATABASE $DB"
      psql_on "$i" -d "$DB" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS citus"
    done
    psql_on 0 -d "$DB" -tAc "SELECT citus_set_coordinator_host('localhost', ${PORTS[0]})" >/dev/null
    for i in 1 2; do
      psql_on 0 -d "$DB" -tAc "SELECT 1 FROM pg_dist_node WHERE nodeport = ${PORTS[$i]}" | grep -q 1 \
        || psql_on 0 -d "$DB" -tAc "SELECT citus_add_node('localhost', ${PORTS[$i]})" >/dev/null
    done
    echo "citus: coordinator on port ${PORTS[0]}, workers on ${PORTS[1]} and ${PORTS[2]} (database $DB)"
}
stop() { for i in 2 1 0; do node "$i" scripts/cluster.sh stop >/dev/null || true; done; }
measure() {
  local out; out=$(mktemp -d)
  mkfifo "$out/in"
  psql_on 0 -d "$DB" -v ON_ERROR_STOP=1 -qtA <"$out/in" >"$out/psql" 2>&1 &
  local psql=$!
  exec 7>"$out/in"
  # Quiet: the value is the second line (a training's progress NOTICEs would come between).
  echo "SET client_min_messages = warning; SELECT pg_backend_pid();" >&7
  local pid=""; for _ in $(seq 100); do pid=$(head -1 "$out/psql" 2>/dev/null); [ -n "$pid" ] && break; sleep 0.1; done
  strace -qq -s 0 -e trace=recvfrom -e signal=none -p "$pid" -o "$out/trace" & local tracer=$!
  for _ in $(seq 100); do [ -s "$out/trace" ] || grep -q "^TracerPid:[[:space:]]*[1-9]" "/proc/$pid/status" && break; sleep 0.05; done
  local t0; t0=$(date +%s.%N)
  echo "$1;" >&7; echo "SELECT 'done';" >&7
  while ! grep -q '^done$\|^ERROR' "$out/psql"; do sleep 0.05; done
  local t1; t1=$(date +%s.%N)
  kill "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null || true
  exec 7>&-; wait "$psql" || true
  if grep -q '^ERROR' "$out/psql"; then cat "$out/psql" >&2; rm -rf "$out"; return 1; fi
  local bytes; bytes=$(sed -n 's/.*= \([0-9][0-9]*\)$/\1/p' "$out/trace" | awk '{s += $1} END {print s + 0}')
  echo "$(echo "$t1 - $t0" | bc) $bytes $(sed -n 2p "$out/psql")"
  rm -rf "$out"
}

case "${1:-}" in
  install) install_citus ;;
  start) start ;;
  fresh)
    stop
    for i in 0 1 2; do rm -rf "$(node "$i" scripts/cluster.sh dir)"; done
    start
    ;;
  stop) stop; echo "citus: stopped" ;;
  psql) shift; psql_on 0 -d "$DB" "$@" ;;
  psql-node) i=$2; shift 2; psql_on "$i" -d "$DB" "$@" ;;
  measure) measure "$2" ;;
  *) echo "usage: scripts/citus.sh install|start|fresh|stop|psql|psql-node N|measure SQL" >&2; exit 2 ;;
esac
