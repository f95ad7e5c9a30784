#!/usr/bin/env bash
# Issue 19's measurements (make bench-citus ROWS=1000000): benches/generate.sql's bench_credit on
# a Citus coordinator and two workers (scripts/citus.sh fresh: this machine's 2 cores run all three
# nodes), side by side with the same table on one node (the coordinator, local):
#   - logistic training time, local and distributed (numeric and boolean features, default
#     preprocessing, a fixed hash split), and their largest coefficient difference;
#   - gradient boosting (GB_TREES rounds, default 20), local and by merged histograms;
#   - the bytes the coordinator's backend received from its sockets during each (recvfrom,
#     traced), against reading the training columns once;
#   - inline scoring, local and pushed down;
#   - the metric aggregates (auc of the scores, iv of two columns), evaluate and a monitor's
#     check, local and computed on the workers, with their bytes against pulling the rows;
#   - test AUC of both.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
OUT=build/bench-citus
mkdir -p "$OUT"
bash scripts/citus.sh fresh >/dev/null
P() { bash scripts/citus.sh psql -v ON_ERROR_STOP=1 "$@"; }
q() { P -tAc "$1"; }
# timed SQL: prints seconds, the bytes the coordinator's backend received from its sockets
# (recvfrom, traced by strace: scripts/citus.sh measure), value. Tracing costs a statement that
# makes many system calls (reading a table's rows through the coordinator) much of its speed, and
# a training that waits on its workers little (6 % measured on the test table).
timed() { bash scripts/citus.sh measure "$1"; }
# untraced SQL: prints seconds
clock() { local t0; t0=$(date +%s.%N); q "$1" >/dev/null; echo "$(date +%s.%N) - $t0" | bc; }
P -q <<SQL >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION aimass;
SELECT * FROM aimass.distribute_catalog();
\set rows $ROWS
\i benches/generate.sql
ALTER TABLE bench_credit ADD COLUMN split text;
UPDATE bench_credit SET split = CASE WHEN hashint8(id) % 5 = 0 THEN 'test' ELSE 'train' END;
VACUUM ANALYZE bench_credit;
CREATE TABLE bench_dist (LIKE bench_credit);
SELECT create_distributed_table('bench_dist', 'id');
INSERT INTO bench_dist SELECT * FROM bench_credit;
VACUUM ANALYZE bench_dist;
SQL
features=$(q "SELECT string_agg(quote_literal(attname), ', ' ORDER BY attnum) FROM pg_attribute
               WHERE attrelid = 'bench_credit'::regclass AND attnum > 0 AND NOT attisdropped
                 AND atttypid IN ('int4'::regtype, 'int8'::regtype, 'float8'::regtype, 'numeric'::regtype, 'bool'::regtype)
                 AND attname NOT IN ('id', 'bad')")
cols=$(q "SELECT string_agg(quote_ident(x), ', ') FROM unnest(ARRAY[$features]) x")
args="'bad', features => ARRAY[$features], split => 'column:split', deploy => 'always'"
read -r t_local b_local m_local <<<"$(timed "SELECT model_id FROM aimass.train('local', 'bench_credit', $args)")"
read -r t_dist b_dist m_dist <<<"$(timed "SELECT model_id FROM aimass.train('dist', 'bench_dist', $args)")"
GB_TREES=${GB_TREES:-20}
gb="'bad', features => ARRAY[$features], split => 'column:split', deploy => 'never', algorithm => 'gradient_boosting', hyperparams => '{\"n_estimators\": $GB_TREES}'"
read -r g_local gb_local_bytes g_m_local <<<"$(timed "SELECT model_id FROM aimass.train('gb_local', 'bench_credit', $gb)")"
read -r g_dist gb_dist_bytes g_m_dist <<<"$(timed "SELECT model_id FROM aimass.train('gb_dist', 'bench_dist', $gb)")"
read -r t_pull b_pull _ <<<"$(timed "SELECT count(*) FROM (SELECT $cols, bad, split FROM bench_dist OFFSET 0) s")"
# The metric aggregates and evaluate: on the distributed table each worker computes its shards'
# states (the distinct values with their counts) and the coordinator combines them.
AUC="SELECT aimass.auc(aimass.predict_proba('local', t), t.bad)"
read -r a_local ab_local _ <<<"$(timed "$AUC FROM bench_credit t")"
read -r a_dist ab_dist _ <<<"$(timed "$AUC FROM bench_dist t")"
IV="SELECT aimass.iv(t.age::float8, t.bad), aimass.iv(t.income, t.bad)"
read -r i_local ib_local _ <<<"$(timed "$IV FROM bench_credit t")"
read -r i_dist ib_dist _ <<<"$(timed "$IV FROM bench_dist t")"
read -r _ sb_pull _ <<<"$(timed "SELECT count(*) FROM (SELECT aimass.predict_proba('local', t), t.bad FROM bench_dist t OFFSET 0) s")"
read -r _ cb_pull _ <<<"$(timed "SELECT count(*) FROM (SELECT age, income, bad FROM bench_dist OFFSET 0) s")"
read -r e_local _ _ <<<"$(timed "SELECT aimass.evaluate('local', 'bench_credit', 'bad')")"
read -r e_dist eb_dist _ <<<"$(timed "SELECT aimass.evaluate('local', 'bench_dist', 'bad')")"
# A monitor's check of every row (sample_rows 0, so that both count the same rows): local reads
# the features; on the distributed table the workers count them in the reference's bins.
q "SELECT aimass.monitor('local', 'bench_dist', '{\"sample_rows\": 0, \"label_column\": \"bad\"}')" >/dev/null
read -r d_local _ _ <<<"$(timed "SELECT count(*) FROM aimass.check_drift('local', 'bench_credit')")"
read -r d_dist db_dist _ <<<"$(timed "SELECT count(*) FROM aimass.check_drift('local', 'bench_dist')")"
d_same=$(q "SELECT (SELECT array_agg(ROW(kind, feature, statistic, value)::text ORDER BY 1) FROM aimass.check_drift('local', 'bench_dist'))
              = (SELECT array_agg(ROW(kind, feature, statistic, value)::text ORDER BY 1) FROM aimass.check_drift('local', 'bench_credit'))")
s_local=$(clock "SELECT sum(aimass.predict_proba('local', t)) FROM bench_credit t")
s_dist=$(clock "SELECT sum(aimass.predict_proba('local', t)) FROM bench_dist t")
scan_local=$(clock "SELECT count(*) FROM bench_credit t")
scan_dist=$(clock "SELECT count(*) FROM bench_dist t")
diff=$(q "SELECT max(abs(a.coefficient - b.coefficient)) FROM aimass.coefficients($m_local) a JOIN aimass.coefficients($m_dist) b USING (input)")
auc=$(q "SELECT string_agg(round((metrics->'test'->>'auc')::numeric, 6)::text, ' / ' ORDER BY id) FROM aimass.models WHERE id IN ($m_local, $m_dist)")
passes=$(q "SELECT metrics->'distributed'->>'newton_passes' || ' passes, ' || (metrics->'distributed'->>'queries') || ' queries, ' || (metrics->'distributed'->>'bytes_to_coordinator') || ' B by its own count, of which ' || (metrics->'distributed'->>'metrics_bytes') || ' the metrics'' scores' FROM aimass.models WHERE id = $m_dist")
nfeat=$(q "SELECT cardinality(ARRAY[$features])")
gb_auc=$(q "SELECT string_agg(round((metrics->'test'->>'auc')::numeric, 6)::text, ' / ' ORDER BY id) FROM aimass.models WHERE id IN ($g_m_local, $g_m_dist)")
gb_passes=$(q "SELECT metrics->'distributed'->>'passes' || ' passes, ' || (metrics->'distributed'->>'bytes_to_coordinator') || ' B by its own count, of which ' || (metrics->'distributed'->>'metrics_bytes') || ' the metrics'' scores' FROM aimass.models WHERE id = $g_m_dist")
cat <<TXT | tee "$OUT/result.md"
| $ROWS rows, $nfeat features | one node (local table) | Citus, 2 workers | ratio |
|---|---|---|---|
| logistic training | ${t_local} s | ${t_dist} s | $(echo "scale=2; $t_dist / $t_local" | bc)× |
| bytes received by the coordinator's backend | ${b_local} | ${b_dist} ($passes) | reading the training columns: ${b_pull} B |
| inline scoring, sum(predict_proba) | ${s_local} s | ${s_dist} s | $(echo "scale=2; $s_dist / $s_local" | bc)× |
| count(*) scan | ${scan_local} s | ${scan_dist} s | |
| test AUC (local / distributed) | $auc | | |
| gradient boosting, $GB_TREES rounds | ${g_local} s | ${g_dist} s | $(echo "scale=2; $g_dist / $g_local" | bc)× |
| its bytes received by the coordinator's backend | ${gb_local_bytes} | ${gb_dist_bytes} ($gb_passes) | |
| its test AUC (local / distributed) | $gb_auc | | |
| largest coefficient difference | $diff | | |
| auc(predict_proba, bad) | ${a_local} s | ${a_dist} s, ${ab_dist} B to the coordinator | pulling the scores: ${sb_pull} B |
| iv(age), iv(income) | ${i_local} s | ${i_dist} s, ${ib_dist} B | pulling the columns: ${cb_pull} B |
| evaluate (binary) | ${e_local} s | ${e_dist} s, ${eb_dist} B | |
| check_drift, every row, with performance | ${d_local} s | ${d_dist} s, ${db_dist} B | same findings: ${d_same}; reading the training columns: ${b_pull} B |
TXT
bash scripts/citus.sh stop >/dev/null
