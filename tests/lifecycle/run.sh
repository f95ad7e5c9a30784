#!/usr/bin/env bash
# The life of models beyond one database session, in a cluster of its own (run by `make test`):
#   1. upgrade: a catalog written by aimass 0.1.0 (tests/lifecycle/fixture_0.1.0.sql, made by
#      make_fixture.sh) under the 0.1.0 schema (sql/released/aimass--0.1.0.sql), then
#      ALTER EXTENSION aimass UPDATE: every 0.1.0 model scores exactly as 0.1.0 scored it, the
#      new features work, and the upgraded schema describes the same as a fresh install of the
#      current version;
#   2. pg_dump / pg_restore into a new database: identical predictions, catalog and grants;
#   3. a physical streaming replica (pg_basebackup, hot standby): identical predictions, and a
#      deployment on the primary reaches a standby session's scoring cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
export AIMASS_CLUSTER=lifecycle-cluster AIMASS_PORT="${LIFECYCLE_PORT:-55417}"
DIR="$(scripts/cluster.sh dir)"
STANDBY="$(dirname "$DIR")/lifecycle-standby"
SPORT=$((AIMASS_PORT + 1))
OUT=build/lifecycle
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/run" -p "$AIMASS_PORT" -U postgres)
SPSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$STANDBY/run" -p "$SPORT" -U postgres)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
fail() { echo "lifecycle-test: FAILED: $*" >&2; exit 1; }
q() { "${PSQL[@]}" -d "$1" -tAc "$2"; }
sq() { "${SPSQL[@]}" -d "$1" -tAc "$2"; }
check() { # database, description, SQL returning t
  local got; got="$(q "$1" "$3")" || fail "$2"
  [ "$got" = t ] || fail "$2 (got: $got)"
}
stop_standby() {
  if [ -f "$STANDBY/data/PG_VERSION" ]; then as_pg "$PG_BIN/pg_ctl" -D "$STANDBY/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
}

scripts/cluster.sh stop >/dev/null
stop_standby
rm -rf "$DIR" "$STANDBY" "$OUT"
mkdir -p "$OUT"
trap 'stop_standby; scripts/cluster.sh stop >/dev/null' EXIT
scripts/cluster.sh start >/dev/null
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE aimass_upgrade' -c 'CREATE DATABASE aimass_fresh'

# 0. Every C symbol a shipped script declares (released versions and upgrade steps) is in the
#    library: an installed older schema calls its symbols until it is updated, and a removed one
#    must be an error that says so (src/api/removed_symbols.rs), never a failed lookup.
declared=$(cat sql/released/*.sql sql/aimass--*.sql | grep -o "'MODULE_PATHNAME', '[a-z_0-9]*'" | sed "s/.*, '//;s/'//" | sort -u)
missing=$(comm -23 <(echo "$declared") <(nm -D --defined-only "$("$PG_CONFIG" --pkglibdir)/aimass.so" | awk '{print $3}' | sort -u))
[ -z "$missing" ] || fail "symbols declared by shipped scripts are not in aimass.so: $missing"
echo "lifecycle-test: ok - the library has all $(echo "$declared" | wc -l) C symbols the shipped scripts declare"

# 1. Upgrade from 0.1.0.
"${PSQL[@]}" -d aimass_upgrade >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION aimass VERSION '0.1.0';
\i sql/sample_data.sql
\i tests/lifecycle/fixture_0.1.0.sql
SQL

[ "$(q aimass_upgrade "SELECT extversion FROM pg_extension WHERE extname = 'aimass'")" = 0.1.0 ] || fail "0.1.0 not installed"
models=$(q aimass_upgrade "SELECT count(*) FROM aimass.models")
# Before the update the 0.1.0 schema calls this library: a function whose symbol is gone says so.
got=$("$PG_BIN/psql" -X -h "$DIR/run" -p "$AIMASS_PORT" -U postgres -d aimass_upgrade -v VERBOSITY=verbose \
        -c '\set VERBOSITY verbose' -c "SELECT aimass.auc(p, p > 0.5) FROM (VALUES (0.1::float8), (0.9)) v(p)" 2>&1 || true)
grep -q 'ERROR:  55000: the aimass library no longer has' <<<"$got" && grep -q 'ALTER EXTENSION aimass UPDATE' <<<"$got" \
  || fail "an old schema's removed symbol: $got"
echo "lifecycle-test: ok - before the update, an aggregate whose symbol was removed is ERROR 55000 naming ALTER EXTENSION UPDATE"
q aimass_upgrade "ALTER EXTENSION aimass UPDATE" >/dev/null
check aimass_upgrade "version after the update" "SELECT extversion = '0.5.0' FROM pg_extension WHERE extname = 'aimass'"
# Every score 0.1.0 gave, bit for bit.
cat >"$OUT/scores.sql" <<'SQL'
SELECT count(*) FILTER (WHERE now_score IS DISTINCT FROM f.score) = 0 AND count(*) = (SELECT count(*) FROM fixture_scores)
  FROM fixture_scores f
  JOIN aimass.models m ON m.id = f.model_id JOIN aimass.projects p ON p.id = m.project_id
  CROSS JOIN LATERAL (
      SELECT CASE p.name WHEN 'credit' THEN (SELECT aimass.predict_proba(f.model_id, c) FROM credit_data c WHERE c.id = f.row_id)
                         ELSE (SELECT aimass.predict_proba(f.model_id, l) FROM lending_club l WHERE l.id = f.row_id) END
             AS now_score) s
SQL
check aimass_upgrade "0.1.0 models score as 0.1.0 scored them" "$(cat "$OUT/scores.sql")"
check aimass_upgrade "the deployed model is kept" \
  "SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(1, c) FROM credit_data c WHERE id = 1"
# The new features on the old catalog.
q aimass_upgrade "SELECT * FROM aimass.deploy('credit', 'challenger', model_id => 2, share => 0.5, key_column => 'id')" >/dev/null
check aimass_upgrade "challenger routing after the update" \
  "SELECT count(DISTINCT aimass.served_model('credit', c)) = 2 FROM credit_data c"
check aimass_upgrade "audit row of the deployment" \
  "SELECT count(*) = 1 FROM aimass.audit_log WHERE action = 'deploy' AND arguments ->> 'role' = 'challenger'"
check aimass_upgrade "model card of a 0.1.0 model" \
  "SELECT aimass.model_card(1) LIKE '%No curves were stored%' AND aimass.model_card(2, 'markdown') LIKE '# Model card: credit / model 2%'"
check aimass_upgrade "training after the update" \
  "SELECT model_id = $((models + 1)) FROM aimass.train('credit', features => ARRAY['age', 'income'], deploy => 'never')"
# The upgraded schema is the fresh one.
q aimass_fresh "CREATE EXTENSION aimass" >/dev/null
q aimass_upgrade "$(cat tests/lifecycle/schema.sql)" >"$OUT/schema_upgraded.txt"
q aimass_fresh "$(cat tests/lifecycle/schema.sql)" >"$OUT/schema_fresh.txt"
diff -u "$OUT/schema_fresh.txt" "$OUT/schema_upgraded.txt" >"$OUT/schema.diff" \
  || { cat "$OUT/schema.diff"; fail "the upgraded schema differs from a fresh install (above)"; }
echo "lifecycle-test: upgrade 0.1.0 -> 0.2.0 -> 0.3.0 -> 0.4.0 -> 0.5.0: $models models score identically; schema equals a fresh install ($(wc -l <"$OUT/schema_fresh.txt") objects)"

# 2. pg_dump / pg_restore.
"$PG_BIN/pg_dump" -h "$DIR/run" -p "$AIMASS_PORT" -U postgres -Fc -f "$OUT/upgrade.dump" aimass_upgrade
q postgres "CREATE DATABASE aimass_restored" >/dev/null
"$PG_BIN/pg_restore" -h "$DIR/run" -p "$AIMASS_PORT" -U postgres -d aimass_restored --exit-on-error "$OUT/upgrade.dump" \
  || fail "pg_restore"
check aimass_restored "restored models score as before" "$(cat "$OUT/scores.sql")"
for t in projects snapshots models deployments audit_log; do
  # As jsonb (keys sorted): an upgraded table has its new columns last, a restored one in place.
  rows="SELECT md5(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text)) FROM aimass.$t x"
  a=$(q aimass_upgrade "$rows")
  b=$(q aimass_restored "$rows")
  [ "$a" = "$b" ] || fail "aimass.$t differs after restore"
done
check aimass_restored "challenger routing restored" \
  "SELECT count(DISTINCT aimass.served_model('credit', c)) = 2 FROM credit_data c"
last=$(q aimass_upgrade "SELECT max(id) FROM aimass.deployments")
check aimass_restored "sequences restored: a new deployment follows the old ones" \
  "SELECT deployment_id = $last + 1 FROM aimass.deploy('credit', 'end_challenge')"
check aimass_restored "grants restored" \
  "SELECT has_function_privilege('aimass_scorer', 'aimass.predict_proba(text, anyelement)', 'EXECUTE')
          AND NOT has_function_privilege('aimass_scorer', 'aimass.train(text, regclass, text, text, text, text[], text[], text, jsonb, jsonb, text, double precision, integer, text, text, jsonb, integer, text, text, text)', 'EXECUTE')
          AND NOT has_table_privilege('aimass_scorer', 'aimass.models', 'SELECT')"
echo "lifecycle-test: pg_dump/pg_restore: identical predictions, catalog rows and grants"


# 3. A physical streaming replica as hot standby.
mkdir -p "$STANDBY"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$STANDBY"
as_pg mkdir -p "$STANDBY/run"
as_pg "$PG_BIN/pg_basebackup" -h "$DIR/run" -p "$AIMASS_PORT" -U postgres -D "$STANDBY/data" -R -X stream -c fast
as_pg chmod 700 "$STANDBY/data"
as_pg sh -c "printf \"port = $SPORT\nunix_socket_directories = '$STANDBY/run'\n\" >> '$STANDBY/data/postgresql.conf'"
as_pg env -u RUST_BACKTRACE "$PG_BIN/pg_ctl" -D "$STANDBY/data" -l "$STANDBY/postgres.log" -w start >/dev/null \
  || { cat "$STANDBY/postgres.log"; fail "standby did not start"; }
[ "$(sq aimass_upgrade "SELECT pg_is_in_recovery()")" = t ] || fail "the standby is not in recovery"
sq aimass_upgrade "$(cat "$OUT/scores.sql")" | grep -qx t || fail "the standby scores differently"
# Primary and standby give the same score for every row with the deployed model.
q aimass_upgrade "SELECT string_agg(aimass.predict_proba('credit', c)::text, ',' ORDER BY id) FROM credit_data c" >"$OUT/primary.txt"
sq aimass_upgrade "SELECT string_agg(aimass.predict_proba('credit', c)::text, ',' ORDER BY id) FROM credit_data c" >"$OUT/standby.txt"
cmp -s "$OUT/primary.txt" "$OUT/standby.txt" || fail "primary and standby scores differ"
# A standby session keeps its cache until the primary deploys; then it scores with the new model.
"${SPSQL[@]}" -d aimass_upgrade -tA >"$OUT/standby_session.txt" <<SQL
SELECT aimass.predict_proba('credit', c) <> aimass.predict_proba(3, c) AS before FROM credit_data c WHERE id = 1;
\! ${PSQL[*]} -d aimass_upgrade -c "SELECT * FROM aimass.deploy(3)" >/dev/null
\set lsn \`${PSQL[*]} -d aimass_upgrade -tAc "SELECT pg_current_wal_lsn()"\`
SELECT count(*) >= 0 AS waited FROM generate_series(1, 600)
 WHERE CASE WHEN pg_last_wal_replay_lsn() < :'lsn'::pg_lsn THEN pg_sleep(0.05) IS NOT NULL END \gset
SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(3, c) AS after FROM credit_data c WHERE id = 1;
SQL
[ "$(tr -d '\n' <"$OUT/standby_session.txt")" = tt ] || fail "standby session: $(cat "$OUT/standby_session.txt")"
echo "lifecycle-test: streaming replica: identical predictions; a deployment on the primary reaches a standby session"
