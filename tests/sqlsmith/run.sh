#!/usr/bin/env bash
# `make sqlsmith`: the SQLsmith fuzzer (Debian package sqlsmith) connected as an aimass_analyst to a
# database with a deployed model of every algorithm, in a cluster of its own with the monitoring
# worker running, for SQLSMITH_QUERIES queries (default 20000) under a 2 s statement_timeout. Fails
# on any backend crash: the postmaster's start time must not change and the server log must show no
# backend terminated by a signal and no PANIC. Not part of `make test` (it takes a while).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
QUERIES="${SQLSMITH_QUERIES:-20000}"
SEED="${SQLSMITH_SEED:-17}"
export AIMASS_CLUSTER=sqlsmith-cluster AIMASS_PORT="${SQLSMITH_PORT:-55420}"
export AIMASS_CLUSTER_CONF="shared_preload_libraries = 'aimass'
aimass.monitor_naptime = 5
max_worker_processes = 32"
DIR="$(scripts/cluster.sh dir)"
OUT=build/sqlsmith
PSQL=("$PG_BIN/psql" -X -q -h "$DIR/run" -p "$AIMASS_PORT" -U postgres)
fail() { echo "sqlsmith: FAILED: $*" >&2; tail -40 "$DIR/postgres.log" >&2 || true; exit 1; }
if ! command -v sqlsmith >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y -q sqlsmith >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q sqlsmith >/dev/null; }
fi

scripts/cluster.sh stop >/dev/null
rm -rf "$DIR" "$OUT"
mkdir -p "$OUT"
trap 'scripts/cluster.sh stop >/dev/null' EXIT
scripts/cluster.sh start >/dev/null
"${PSQL[@]}" -d postgres -c "CREATE DATABASE aimass_smith"
"${PSQL[@]}" -d aimass_smith -v ON_ERROR_STOP=1 -f tests/sqlsmith/setup.sql >"$OUT/setup.log" 2>&1 \
  || { cat "$OUT/setup.log"; fail "setup"; }
started="$("${PSQL[@]}" -d postgres -tAc "SELECT pg_postmaster_start_time()")"
t0=$(date +%s)
set +e
sqlsmith --target="host=$DIR/run port=$AIMASS_PORT user=smith dbname=aimass_smith" \
  --max-queries="$QUERIES" --seed="$SEED" --exclude-catalog --verbose >"$OUT/sqlsmith.out" 2>"$OUT/sqlsmith.err"
rc=$?
set -e
secs=$(($(date +%s) - t0))
now="$("${PSQL[@]}" -d postgres -tAc "SELECT pg_postmaster_start_time()" 2>/dev/null || echo down)"
[ "$now" = "$started" ] || fail "the server restarted (start time $started, now $now); see $OUT/sqlsmith.err"
if grep -E "terminated by signal|PANIC|server process .* was terminated" "$DIR/postgres.log" >"$OUT/crashes.txt"; then
  fail "backend crashes: $(head -5 "$OUT/crashes.txt")"
fi
[ "$rc" -eq 0 ] || fail "sqlsmith exited with $rc: $(tail -5 "$OUT/sqlsmith.err")"
aimass_calls=$(grep -c "aimass\." "$DIR/postgres.log" || true)
echo "sqlsmith: $QUERIES queries (seed $SEED) in ${secs}s as an aimass_analyst, no crash; server log lines naming aimass: $aimass_calls"
tail -25 "$OUT/sqlsmith.err" | sed 's/^/sqlsmith: /'
