#!/usr/bin/env bash
# An embedded PostgreSQL 15 cluster of aimass's own, for the demo and the SQL tests.
#   scripts/cluster.sh dir     print the folder that holds the cluster
#   scripts/cluster.sh start   initdb if needed, then start (idempotent)
#   scripts/cluster.sh stop
# As root the cluster belongs to the `postgres` user. It lives under build/ in the repository, or
# under /var/tmp when the postgres user cannot reach the repository's folder.
# AIMASS_CLUSTER names another cluster (a folder beside it, e.g. the worker tests' own), and
# AIMASS_CLUSTER_CONF holds settings appended to its postgresql.conf when it is created.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/pg_env.sh"
PORT="${AIMASS_PORT:-55415}"
NAME="${AIMASS_CLUSTER:-cluster}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"

as_pg() {
  # A server started from a shell with RUST_BACKTRACE set would print backtraces into error details.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- env -u RUST_BACKTRACE "$@"; else env -u RUST_BACKTRACE "$@"; fi
}

cluster_dir() {
  mkdir -p "$REPO/build"
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$REPO/build" 2>/dev/null; then
    echo "$REPO/build/$NAME"
  else
    echo "/var/tmp/aimass-$(echo "$REPO" | cksum | cut -d' ' -f1)/$NAME"
  fi
}

DIR="$(cluster_dir)"
PGDATA="$DIR/data"
SOCK="$DIR/run"

case "${1:-}" in
  dir) echo "$DIR" ;;
  start)
    mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      as_pg mkdir -p "$PGDATA" "$SOCK"
      as_pg "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log"; exit 1; }
      cat >>"$PGDATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$SOCK'
max_parallel_workers_per_gather = 2
${AIMASS_CLUSTER_CONF:-}
CONF
    fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$DIR/postgres.log" -w start >/dev/null
    fi
    echo "cluster: running on socket $SOCK port $PORT"
    ;;
  stop)
    if [ -f "$PGDATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
      echo "cluster: stopped"
    else
      echo "cluster: not running"
    fi
    ;;
  *) echo "usage: $0 dir|start|stop" >&2; exit 2 ;;
esac
