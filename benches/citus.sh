#!/usr/bin/env bash
# Issue 19's measurements (make bench-citus ROWS=1000000): benches/generate.sql's bench_credit on
# a Citus coordinator and two workers (scripts/citus.sh fresh: this machine's 2 cores run all three
# nodes), side by side with the same table on one node (the coordinator, local):
#   - logistic training time, local and distributed (numeric and boolean features, default
#     preprocessing, a fixed hash split), and their largest coefficient difference;
#   - the bytes the coordinator's backend read from its sockets during each (/proc/PID/io rchar),
#     against reading the training columns once;
#   - inline scoring, local and pushed down;
#   - test AUC of both.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
OUT=build/bench-citus
mkdir -p "$OUT"
bash scripts/citus.sh fresh >/dev/null
P() { bash scripts/citus.sh psql -v ON_ERROR_STOP=1 "$@"; }
q() { P -tAc "$1"; }
rchar() { awk '/^rchar/ {print $2}' "/proc/$1/io"; }
# timed SQL: prints seconds, rchar bytes, value
timed() {
  local fifo="$OUT/fifo"; rm -f "$fifo"; mkfifo "$fifo"
  bash scripts/citus.sh psql -tA <"$fifo" >"$OUT/timed.out" 2>&1 & local psql=$!
  exec 7>"$fifo"
  echo "SELECT pg_backend_pid();" >&7
  local pid=""; for _ in $(seq 100); do pid=$(head -1 "$OUT/timed.out" 2>/dev/null); [ -n "$pid" ] && break; sleep 0.1; done
  local before; before=$(rchar "$pid"); local t0; t0=$(date +%s.%N)
  echo "$1;" >&7; echo "SELECT 'done';" >&7
  while ! grep -q '^done$\|^ERROR' "$OUT/timed.out"; do sleep 0.05; done
  if grep -q '^ERROR' "$OUT/timed.out"; then cat "$OUT/timed.out" >&2; exit 1; fi
  local t1; t1=$(date +%s.%N); local after; after=$(rchar "$pid")
  exec 7>&-; wait "$psql" || true
  echo "$(echo "$t1 - $t0" | bc) $((after - before)) $(sed -n 2p "$OUT/timed.out")"
}
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
read -r t_pull b_pull _ <<<"$(timed "SELECT count(*) FROM (SELECT $cols, bad, split FROM bench_dist OFFSET 0) s")"
read -r s_local _ _ <<<"$(timed "SELECT sum(aimass.predict_proba('local', t)) FROM bench_credit t")"
read -r s_dist _ _ <<<"$(timed "SELECT sum(aimass.predict_proba('local', t)) FROM bench_dist t")"
read -r scan_local _ _ <<<"$(timed "SELECT count(*) FROM bench_credit t")"
read -r scan_dist _ _ <<<"$(timed "SELECT count(*) FROM bench_dist t")"
diff=$(q "SELECT max(abs(a.coefficient - b.coefficient)) FROM aimass.coefficients($m_local) a JOIN aimass.coefficients($m_dist) b USING (input)")
auc=$(q "SELECT string_agg(round((metrics->'test'->>'auc')::numeric, 6)::text, ' / ' ORDER BY id) FROM aimass.models WHERE id IN ($m_local, $m_dist)")
passes=$(q "SELECT metrics->'distributed'->>'newton_passes' || ' passes, ' || (metrics->'distributed'->>'queries') || ' queries, ' || (metrics->'distributed'->>'bytes_to_coordinator') || ' B by its own count' FROM aimass.models WHERE id = $m_dist")
nfeat=$(q "SELECT cardinality(ARRAY[$features])")
cat <<TXT | tee "$OUT/result.md"
| $ROWS rows, $nfeat features | one node (local table) | Citus, 2 workers | ratio |
|---|---|---|---|
| logistic training | ${t_local} s | ${t_dist} s | $(echo "scale=2; $t_dist / $t_local" | bc)× |
| bytes read by the coordinator's backend | ${b_local} | ${b_dist} ($passes) | reading the training columns: ${b_pull} B |
| inline scoring, sum(predict_proba) | ${s_local} s | ${s_dist} s | $(echo "scale=2; $s_dist / $s_local" | bc)× |
| count(*) scan | ${scan_local} s | ${scan_dist} s | |
| test AUC (local / distributed) | $auc | | |
| largest coefficient difference | $diff | | |
TXT
bash scripts/citus.sh stop >/dev/null
