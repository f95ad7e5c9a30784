#!/usr/bin/env bash
# The monitoring background worker end to end, in a cluster of its own with aimass and pg_cron in
# shared_preload_libraries: pg_regress files (tests/worker/sql) for the checks, alerts, error rows,
# SIGHUP and a pg_cron job; then, from the shell, a NOTIFY received by a listening client and a
# worker killed with SIGKILL that the postmaster restarts. Run by `make test` (target worker-test).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
export AIMASS_CLUSTER=worker-cluster AIMASS_PORT="${WORKER_PORT:-55416}"
export AIMASS_CLUSTER_CONF="shared_preload_libraries = 'aimass,pg_cron'
aimass.monitor_naptime = 1
cron.database_name = 'aimass_worker'
cron.use_background_workers = on
max_worker_processes = 32
log_min_messages = log"
DIR="$(scripts/cluster.sh dir)"
PSQL=("$PG_BIN/psql" -X -h "$DIR/run" -p "$AIMASS_PORT" -U postgres)
OUT=build/worker
fail() { echo "worker-test: FAILED: $*" >&2; tail -30 "$DIR/postgres.log" >&2 || true; exit 1; }

# A fresh cluster each run (its settings come from AIMASS_CLUSTER_CONF at initdb).
scripts/cluster.sh stop >/dev/null
rm -rf "$DIR" "$OUT"
mkdir -p "$OUT"
trap 'scripts/cluster.sh stop >/dev/null' EXIT
scripts/cluster.sh start >/dev/null
"${PSQL[@]}" -q -d postgres -c 'CREATE DATABASE aimass_worker'
# pg_cron's scheduler connects to cron.database_name when it starts: start again now that it exists.
scripts/cluster.sh stop >/dev/null && scripts/cluster.sh start >/dev/null

"$PG_BIN/../lib/pgxs/src/test/regress/pg_regress" --use-existing --bindir="$PG_BIN" --host="$DIR/run" \
  --port="$AIMASS_PORT" --user=postgres --dbname=aimass_worker --inputdir=tests/worker --outputdir="$OUT" \
  worker robust cron || { cat "$OUT/regression.diffs"; fail "pg_regress"; }

q() { "${PSQL[@]}" -d aimass_worker -tAc "$1"; }
wait_until() { # condition (SQL returning t), seconds
  for _ in $(seq 1 $(($2 * 2))); do [ "$(q "$1" 2>/dev/null)" = t ] && return 0; sleep 0.5; done
  return 1
}

# NOTIFY: a client listening on aimass_alerts receives the alert for a newly shifted feature.
( echo "LISTEN aimass_alerts;"; for _ in $(seq 1 120); do echo "SELECT pg_sleep(0.5);"; done ) \
  | "${PSQL[@]}" -d aimass_worker -q -t >"$OUT/listen.out" 2>&1 &
listener=$!
sleep 1
q "UPDATE live_apps SET age = age + 40" >/dev/null
for _ in $(seq 1 120); do grep -q '"feature":"age"' "$OUT/listen.out" && break; sleep 0.5; done
kill "$listener" 2>/dev/null || true
grep -q 'Asynchronous notification "aimass_alerts" with payload ".*"feature":"age".*"status":"alert"' "$OUT/listen.out" \
  || fail "no NOTIFY aimass_alerts for the shifted age: $(cat "$OUT/listen.out")"
grep -q 'aimass: alert on project "live" (model [0-9]*): age psi' "$DIR/postgres.log" || fail "no log line for the age alert"
echo "worker-test: NOTIFY aimass_alerts received for the shifted feature, and logged"

# SIGTERM in the middle of a check: a monitor of a view that takes about 45 s to read; its round
# worker is terminated while it reads, and exits within a second or two.
q "CREATE VIEW slow_apps AS SELECT * FROM live_apps WHERE pg_sleep(0.05) IS NOT NULL" >/dev/null
q "SELECT aimass.train('slowcheck', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'always')" >/dev/null
q "SELECT aimass.monitor('slowcheck', 'slow_apps', '{\"every\": \"1 second\"}')" >/dev/null
busy="SELECT pid FROM pg_stat_activity WHERE backend_type = 'aimass monitor' AND datname = 'aimass_worker' AND wait_event = 'PgSleep'"
for _ in $(seq 1 60); do pid=$(q "$busy" | head -1); [ -n "$pid" ] && break; sleep 0.5; done
[ -n "$pid" ] || fail "no round worker in the middle of the slow check"
q "SELECT pg_terminate_backend($pid)" >/dev/null
t0=$(date +%s%N)
for _ in $(seq 1 50); do [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] && break; sleep 0.1; done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] || fail "the round worker did not exit on SIGTERM"
[ "$ms" -lt 2000 ] || fail "the round worker took $ms ms to exit on SIGTERM"
echo "worker-test: a round worker terminated in the middle of a check exited after $ms ms"

# A database without aimass is visited once per server start (the round marks it idle in shared
# memory), not at every round. The databases made below are visited before their monitor exists,
# so they are marked idle too: that their checks then run shows that aimass.monitor clears it.
"${PSQL[@]}" -q -d postgres -c "CREATE DATABASE aimass_plain"
sleep 6
visits=$(grep -c 'nothing to check in database "aimass_plain" (aimass is not installed)' "$DIR/postgres.log" || true)
[ "$visits" = 1 ] || fail "a database without aimass was visited $visits times in 6 rounds (expected once)"
"${PSQL[@]}" -q -d postgres -c "DROP DATABASE aimass_plain"
echo "worker-test: a database without aimass was visited once in 6 rounds of 1 s"

# DROP DATABASE, CREATE DATABASE ... TEMPLATE and DROP DATABASE ... WITH (FORCE) while the worker
# runs checks in those databases: the worker holds no connection between rounds.
setup_monitored() { # database, relation to monitor
  "${PSQL[@]}" -q -d postgres -c "CREATE DATABASE $1" >/dev/null
  "${PSQL[@]}" -q -d "$1" -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION aimass;
\i sql/sample_data.sql
CREATE TABLE apps AS SELECT * FROM credit_data WHERE split = 'test';
CREATE VIEW slow_apps AS SELECT * FROM apps WHERE pg_sleep(0.05) IS NOT NULL;
SELECT aimass.train('p', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'always');
SELECT aimass.monitor('p', '$2', '{"every": "1 second"}');
SQL
  for _ in $(seq 1 60); do
    [ "$("${PSQL[@]}" -d "$1" -tAc "SELECT count(*) > 0 FROM aimass.drift_reports")" = t ] && return 0
    [ "$2" = slow_apps ] && [ -n "$("${PSQL[@]}" -d postgres -tAc "SELECT pid FROM pg_stat_activity WHERE datname = '$1' AND backend_type = 'aimass monitor' AND wait_event = 'PgSleep'")" ] && return 0
    sleep 0.5
  done
  fail "the worker did not check database $1"
}
setup_monitored aimass_dropped apps
"${PSQL[@]}" -q -d postgres -c "DROP DATABASE aimass_dropped" || fail "DROP DATABASE of a monitored database"
echo "worker-test: DROP DATABASE of a monitored database while the worker runs"
setup_monitored aimass_template apps
"${PSQL[@]}" -q -d postgres -c "CREATE DATABASE aimass_copy TEMPLATE aimass_template" || fail "CREATE DATABASE ... TEMPLATE a monitored database"
"${PSQL[@]}" -q -d postgres -c "DROP DATABASE aimass_copy" -c "DROP DATABASE aimass_template"
echo "worker-test: CREATE DATABASE ... TEMPLATE a monitored database while the worker runs"
setup_monitored aimass_forced slow_apps
t0=$(date +%s%N)
timeout 20 "${PSQL[@]}" -q -d postgres -c "DROP DATABASE aimass_forced WITH (FORCE)" || fail "DROP DATABASE ... WITH (FORCE) during a check"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "worker-test: DROP DATABASE ... WITH (FORCE) in the middle of a check took $ms ms"

# SIGKILL of the launcher: the postmaster restarts (crash recovery), a new launcher starts the
# rounds again, reports go on.
q "SELECT aimass.unmonitor('slowcheck')" >/dev/null
old=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'aimass monitor launcher'")
[ -n "$old" ] || fail "no launcher to kill"
kill -9 "$old"
for _ in $(seq 1 60); do "$PG_BIN/pg_isready" -q -h "$DIR/run" -p "$AIMASS_PORT" && q "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
since=$(q "SELECT now()")
wait_until "SELECT count(*) > 0 FROM aimass.drift_reports WHERE checked_at > '$since'" 60 \
  || fail "no report after the launcher was killed"
new=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'aimass monitor launcher'")
[ -n "$new" ] && [ "$new" != "$old" ] || fail "the launcher was not restarted (pid $old, now '$new')"
grep -q "terminated by signal 9" "$DIR/postgres.log" || fail "the kill is not in the server log"
echo "worker-test: launcher $old killed with SIGKILL, restarted as $new, reports continue"
echo "worker-test: 3 pg_regress files and 7 shell checks passed"
