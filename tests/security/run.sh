#!/usr/bin/env bash
# The trust suite of issue 17, in a cluster of its own (aimass preloaded: the monitoring worker
# runs, as a superuser). Run by `make test` (target security-test).
#   1. hostile objects: user code in every spot an elevated path (the scheduled check by
#      run_monitor and by the worker, the log_prediction trigger) reaches records who ran it;
#      none ran as a superuser or the extension owner; rename and owner swaps are refused;
#   2. row-level security: train, profile, evaluate, predict_batch and monitoring see only the
#      caller's (or the monitor creator's) rows;
#   3. memory: requests far over aimass.max_memory are ERROR 54000 and the server never restarts;
#   4. cancellation: statement_timeout = 1s ends every algorithm and every long pass within a
#      few seconds, and pg_terminate_backend ends a training;
#   5. consistency: with parallel workers forced, each statement of an open transaction scores
#      every row with the deployment its snapshot sees (READ COMMITTED and REPEATABLE READ,
#      prepared and not), and a deployment rolled back in a subtransaction never serves.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
export AIMASS_CLUSTER=security-cluster AIMASS_PORT="${SECURITY_PORT:-55419}"
export AIMASS_CLUSTER_CONF="shared_preload_libraries = 'aimass'
aimass.monitor_naptime = 1
max_worker_processes = 32
log_min_messages = log"
DIR="$(scripts/cluster.sh dir)"
DB=aimass_security
OUT=build/security
PSQL=("$PG_BIN/psql" -X -q -h "$DIR/run" -p "$AIMASS_PORT" -d "$DB")
fail() { echo "security-test: FAILED: $*" >&2; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "security-test: ok - $*"; }
# q ROLE SQL: one value, as ROLE.
q() { "${PSQL[@]}" -U "$1" -v ON_ERROR_STOP=1 -tAc "$2"; }
# check ROLE DESCRIPTION SQL-returning-t
check() {
  local got; got="$(q "$1" "$3" 2>&1)" || fail "$2: $got"
  [ "$got" = t ] || fail "$2 (got: $got)"
  ok "$2"
}
# sqlstate ROLE SQL...: runs the statements as ROLE, prints the SQLSTATE of the first error.
sqlstate() {
  local role=$1; shift
  { echo '\set VERBOSITY verbose'; printf '%s;\n' "$@"; } | "${PSQL[@]}" -U "$role" -v ON_ERROR_STOP=1 2>&1 \
    | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -1 || true
}
# expect_error ROLE CODE DESCRIPTION SQL...
expect_error() {
  local role=$1 code=$2 what=$3; shift 3
  local got; got="$(sqlstate "$role" "$@")"
  [ "$got" = "$code" ] || fail "$what: expected ERROR $code, got '${got:-no error}'"
  ok "$what: ERROR $code"
}

scripts/cluster.sh stop >/dev/null
rm -rf "$DIR" "$OUT"
mkdir -p "$OUT"
trap 'scripts/cluster.sh stop >/dev/null' EXIT
scripts/cluster.sh start >/dev/null
"$PG_BIN/psql" -X -q -h "$DIR/run" -p "$AIMASS_PORT" -U postgres -d postgres -c "CREATE DATABASE $DB"
"${PSQL[@]}" -U postgres -v ON_ERROR_STOP=1 -f tests/security/setup.sql >"$OUT/setup.log"
started="$(q postgres "SELECT pg_postmaster_start_time()")"
hp=$(q postgres "SELECT id FROM aimass.projects WHERE name = 'hp'")
spied() { q postgres "SELECT count(*) FROM ran_as WHERE path = '$1' AND NOT su"; }
no_elevated() { check postgres "$1: no user code ran as a superuser or the extension owner" \
  "SELECT count(*) = 0 FROM ran_as WHERE su"; }

# 1. Hostile objects --------------------------------------------------------------------------
# 1a. A view of eve's monitored by al: its select list calls eve's function, its WHERE an
# operator of eve's, and the table under it has a row-level security policy calling eve's code.
q eve "CREATE TABLE eve_base AS SELECT * FROM credit_data" >/dev/null
q eve "CREATE FUNCTION eve_income(float8) RETURNS float8 LANGUAGE sql VOLATILE AS \$\$ SELECT CASE WHEN public.spy('view-select') THEN \$1 END \$\$" >/dev/null
q eve "CREATE FUNCTION eve_ne(int, int) RETURNS boolean LANGUAGE sql VOLATILE AS \$\$ SELECT public.spy('operator') AND \$1 <> \$2 \$\$" >/dev/null
q eve "CREATE OPERATOR <~> (LEFTARG = int, RIGHTARG = int, FUNCTION = eve_ne)" >/dev/null
q eve "ALTER TABLE eve_base ENABLE ROW LEVEL SECURITY; ALTER TABLE eve_base FORCE ROW LEVEL SECURITY" >/dev/null
q eve "CREATE POLICY eve_spies ON eve_base USING (spy('policy'))" >/dev/null
q eve "CREATE VIEW eve_view AS SELECT id, status, seniority, home, time, age, marital, records, job, expenses,
         eve_income(income) AS income, assets, debt, amount, price, split FROM eve_base WHERE id <~> 0" >/dev/null
q eve "GRANT SELECT ON eve_view, eve_base TO al" >/dev/null
q al "SELECT aimass.monitor('hp', 'eve_view') IS NOT NULL" >/dev/null
q postgres "SELECT aimass.run_monitor($hp)" >"$OUT/1a.txt"
check postgres "the scheduled check of eve's view read it (as al)" \
  "SELECT count(*) > 0 FROM aimass.drift_reports WHERE scheduled AND status <> 'error' AND relation = 'public.eve_view'"
for p in view-select operator policy; do
  [ "$(spied "$p")" -gt 0 ] || fail "eve's $p code did not run at all: the test would prove nothing"
done
check postgres "eve's view, operator and policy ran as al, the monitor's creator" \
  "SELECT bool_and(who = 'al') FROM ran_as WHERE path IN ('view-select', 'operator', 'policy')"
no_elevated "run_monitor as a superuser"
# The worker (a superuser) runs the same check on its own schedule.
q postgres "TRUNCATE ran_as; UPDATE aimass.monitors SET next_check_at = now() WHERE project_id = $hp" >/dev/null
for _ in $(seq 1 60); do [ "$(spied view-select)" -gt 0 ] && break; sleep 0.5; done
[ "$(spied view-select)" -gt 0 ] || fail "the worker did not check eve's view"
check postgres "the worker's check ran eve's code as al" "SELECT bool_and(who = 'al') FROM ran_as"
no_elevated "the background worker"

# 1b. The rename trick: eve renames her monitored table and puts a view calling her code under
# the old name. The monitor keeps the table's oid: the view is never read.
q eve "CREATE TABLE eve_apps AS SELECT * FROM credit_data" >/dev/null
q eve "GRANT SELECT ON eve_apps TO al" >/dev/null
q postgres "SELECT aimass.train('hp2', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split')" >/dev/null
hp2=$(q postgres "SELECT id FROM aimass.projects WHERE name = 'hp2'")
q al "SELECT aimass.monitor('hp2', 'eve_apps') IS NOT NULL" >/dev/null
q eve "ALTER TABLE eve_apps RENAME TO eve_apps_old" >/dev/null
q eve "CREATE VIEW eve_apps AS SELECT * FROM eve_apps_old WHERE spy('renamed')" >/dev/null
q eve "GRANT SELECT ON eve_apps TO al" >/dev/null
q postgres "TRUNCATE ran_as" >/dev/null
q postgres "SELECT aimass.run_monitor($hp2)" >/dev/null
check postgres "after a rename the scheduled check reads the monitored table itself, not the view put under its name" \
  "SELECT count(*) = 0 FROM ran_as WHERE path = 'renamed'
      AND (SELECT status <> 'error' FROM aimass.drift_reports WHERE project_id = $hp2 ORDER BY id DESC LIMIT 1)"
# An owner swap: the check is refused with an error row, and the monitor is put off.
q eve "ALTER TABLE eve_apps_old OWNER TO eve2" >/dev/null
q postgres "SELECT aimass.run_monitor($hp2)" >/dev/null 2>&1
check postgres "a relation whose owner changed is refused with an error row" \
  "SELECT status = 'error' AND message LIKE '%changed its owner or kind%' FROM aimass.drift_reports
    WHERE project_id = $hp2 ORDER BY id DESC LIMIT 1"
check postgres "the failure is counted, shown and backed off" \
  "SELECT failures = 1 AND last_error LIKE '%changed its owner%' AND next_check_at > now() + interval '1 hour'
     FROM aimass.monitoring_status WHERE project = 'hp2'"
no_elevated "rename and owner swap"

# 1c. A monitor configured by a superuser reads the relation as its owner: eve's forced policy
# runs as eve, never as the superuser.
q eve "CREATE TABLE eve_forced AS SELECT * FROM credit_data" >/dev/null
q eve "ALTER TABLE eve_forced ENABLE ROW LEVEL SECURITY" >/dev/null
q eve "ALTER TABLE eve_forced FORCE ROW LEVEL SECURITY" >/dev/null
q eve "CREATE POLICY eve_forced_spies ON eve_forced USING (spy('forced-policy'))" >/dev/null
q postgres "SELECT aimass.monitor('hp2', 'eve_forced') IS NOT NULL" >/dev/null
q postgres "TRUNCATE ran_as; SELECT aimass.run_monitor($hp2)" >/dev/null
[ "$(spied forced-policy)" -gt 0 ] || fail "eve's forced policy did not run"
check postgres "a superuser's monitor reads the relation as its owner" \
  "SELECT bool_and(who = 'eve') FROM ran_as WHERE path = 'forced-policy'"
no_elevated "a superuser's monitor"

# 1d. The prediction log trigger: al's table with a column of al's enum type, whose casts to json
# and text call al's code (the 0.2.0 trigger ran to_jsonb(NEW) as the extension owner, and so
# the cast to json). Rows inserted by eve are logged; nothing runs above eve.
q al "CREATE TYPE mood AS ENUM ('calm', 'angry')" >/dev/null
q al "CREATE FUNCTION mood_json(mood) RETURNS json LANGUAGE sql VOLATILE AS \$\$ SELECT CASE WHEN public.spy('cast-json') THEN to_json(format('%s', \$1)) END \$\$" >/dev/null
q al "CREATE FUNCTION mood_text(mood) RETURNS text LANGUAGE sql VOLATILE AS \$\$ SELECT CASE WHEN public.spy('cast-text') THEN format('%s', \$1) END \$\$" >/dev/null
q al "CREATE CAST (mood AS json) WITH FUNCTION mood_json(mood)" >/dev/null
q al "CREATE CAST (mood AS text) WITH FUNCTION mood_text(mood)" >/dev/null
q al "CREATE TABLE al_incoming (LIKE credit_data, mood mood DEFAULT 'calm')" >/dev/null
q al "GRANT INSERT ON al_incoming TO eve" >/dev/null
q al "CREATE TRIGGER log_hp AFTER INSERT ON al_incoming FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('hp', '1', 'mood')" >/dev/null
q postgres "TRUNCATE ran_as" >/dev/null
q eve "INSERT INTO al_incoming SELECT *, 'angry' FROM credit_data WHERE id <= 20" >/dev/null
check postgres "the trigger logged eve's rows, keyed by the enum column" \
  "SELECT count(*) = 20 AND bool_and(row_key = 'angry') FROM aimass.predictions WHERE project_id = $hp"
check postgres "the logged scores are the model's, and the logged features give them again" \
  "SELECT (SELECT array_agg(score ORDER BY score) FROM aimass.predictions WHERE project_id = $hp)
          = (SELECT array_agg(p ORDER BY p) FROM (SELECT aimass.predict_proba('hp', c) AS p FROM credit_data c WHERE id <= 20) s)
      AND (SELECT bool_and(score = aimass.predict_proba(model_id, features)) FROM aimass.predictions WHERE project_id = $hp)"
check postgres "no cast of the user's type ran as the extension owner" \
  "SELECT count(*) = 0 FROM ran_as WHERE path = 'cast-json' AND who <> 'eve'"
no_elevated "the log_prediction trigger"

# 2. Row-level security -----------------------------------------------------------------------
q postgres "CREATE TABLE rls_apps AS SELECT c.*, (ARRAY['ana', 'al', 'other'])[id % 3 + 1] AS seen_by FROM credit_data c;
            ALTER TABLE rls_apps ENABLE ROW LEVEL SECURITY;
            CREATE POLICY own_rows ON rls_apps USING (seen_by = current_user);
            GRANT SELECT ON rls_apps TO PUBLIC" >/dev/null
n_ana=$(q postgres "SELECT count(*) FROM rls_apps WHERE seen_by = 'ana'")
n_al=$(q postgres "SELECT count(*) FROM rls_apps WHERE seen_by = 'al'")
check ana "profile sees only the analyst's rows ($n_ana)" \
  "SELECT bool_and(rows = $n_ana) FROM aimass.profile('rls_apps')"
q ana "SELECT aimass.train('rls', 'rls_apps', 'status', exclude => ARRAY['id', 'seen_by'], split => 'column:split', deploy => 'never')" >/dev/null
check ana "train sees only the analyst's rows" \
  "SELECT s.row_count = $n_ana FROM aimass.models m JOIN aimass.snapshots s ON s.id = m.snapshot_id
    WHERE m.id = (SELECT max(id) FROM aimass.models)"
check ana "evaluate sees only the analyst's rows" \
  "SELECT (SELECT sum(v::int) FROM jsonb_each_text(e -> 'confusion_matrix') x(k, v)) + (e ->> 'null_target_rows')::int = $n_ana
     FROM aimass.evaluate('hp', 'rls_apps') e"
check ana "predict_batch sees only the analyst's rows" \
  "SELECT count(*) = $n_ana FROM aimass.predict_batch('hp', 'rls_apps', 'id')"
q al "SELECT model_id FROM aimass.deploy((SELECT max(m.id)::bigint FROM aimass.models m JOIN aimass.projects p ON p.id = m.project_id WHERE p.name = 'rls'))" >/dev/null
q al "SELECT aimass.monitor('rls', 'rls_apps') IS NOT NULL" >/dev/null
rls=$(q postgres "SELECT id FROM aimass.projects WHERE name = 'rls'")
q postgres "SELECT aimass.run_monitor($rls)" >/dev/null
check postgres "a scheduled check sees only the monitor creator's rows ($n_al)" \
  "SELECT bool_and(live_rows = $n_al) FROM aimass.drift_reports WHERE project_id = $rls AND scheduled"

echo "security-test: privilege and row-level security: $passed checks passed"
. tests/security/limits.sh
echo "security-test: $passed passed, 0 failed"
