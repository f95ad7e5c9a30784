#!/usr/bin/env bash
# Issue 19 on a real Citus cluster of aimass's own (scripts/citus.sh: a coordinator and two
# workers on localhost, fresh for each run). Run by `make test` (target citus-test).
#   1. the catalog on every node: a model trained before (the upgrade path) and after
#      aimass.distribute_catalog() is on both workers;
#   2. scoring where the data is: pushed-down predict_proba (EXPLAIN shows it in the shard tasks),
#      bit-equal to scoring the same rows in a local table, also through INSERT ... SELECT;
#   3. a deployment committed on the coordinator serves on both workers' next query (the same
#      cached worker connections), and a rolled-back training and deployment leave nothing on
#      any node;
#   4. a scorer role scores on every worker and may do nothing more;
#   5. distributed logistic training: the coordinator moves statistics, not rows, and the
#      coefficients equal the single-node fit's on the same rows to 1e-9;
#   6. a shard ensemble (one gradient boosting model fitted per shard on its worker, averaged),
#      and exact gradient boosting by merged histograms, its test AUC within 0.002 of the
#      single-node fit's on the same rows;
#   7. the metric aggregates computed on the workers and combined on the coordinator, bit-equal
#      to the local copy's, with fewer bytes than the rows;
#   8. evaluate, bin and profile from the workers' counts, predict_batch and explain on
#      distributed tables;
#   9. monitoring's checks from the workers' counts in the reference's bins, the local copy's
#      findings.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
OUT=build/citus-test
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "citus-test: FAILED: $*" >&2; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "citus-test: ok - $*"; }
trap 'bash scripts/citus.sh stop >/dev/null 2>&1 || true' EXIT
bash scripts/citus.sh fresh
# on NODE [ROLE] SQL: one value from node 0 (coordinator), 1 or 2.
on() {
  local node=$1 role=postgres
  if [ $# -eq 3 ]; then role=$2; shift; fi
  bash scripts/citus.sh psql-node "$node" -U "$role" -v ON_ERROR_STOP=1 -tAc "$2"
}
check() { # NODE DESCRIPTION SQL-returning-t
  local got; got="$(on "$1" "$3" 2>&1)" || fail "$2: $got"
  [ "$got" = t ] || fail "$2 (got: $got)"
  ok "$2"
}
sqlstate() { # NODE ROLE SQL: the SQLSTATE of its error
  { echo '\set VERBOSITY verbose'; echo "$3;"; } | bash scripts/citus.sh psql-node "$1" -U "$2" 2>&1 \
    | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -1 || true
}
expect_error() { # NODE ROLE CODE DESCRIPTION SQL
  local got; got="$(sqlstate "$1" "$2" "$5")"
  [ "$got" = "$3" ] || fail "$4: expected ERROR $3, got '${got:-no error}'"
  ok "$4: ERROR $3"
}

bash scripts/citus.sh psql -v ON_ERROR_STOP=1 -q -f tests/citus/setup.sql >"$OUT/setup.log" 2>&1 \
  || { tail -20 "$OUT/setup.log"; fail "setup"; }
for n in 1 2; do
  check $n "worker $n has aimass" "SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'aimass') FROM pg_extension WHERE extname = 'aimass'"
done

# 1. The catalog on every node.
check 0 "every catalog table is a reference table" \
  "SELECT count(*) = 0 FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e' AND d.classid = 'pg_class'::regclass
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'aimass'
   WHERE c.relkind = 'r' AND NOT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = c.oid AND p.repmodel = 't')"
check 0 "the foreign keys between catalog tables are back" \
  "SELECT count(*) = 11 FROM pg_constraint c JOIN pg_dist_partition p ON p.logicalrelid = c.conrelid
    WHERE c.contype = 'f' AND c.connamespace = 'aimass'::regnamespace"
for n in 1 2; do
  check $n "worker $n reads the model trained before the catalog was distributed" \
    "SELECT count(*) = 1 FROM aimass.models m JOIN aimass.projects p ON p.id = m.project_id WHERE p.name = 'before'"
done
expect_error 0 postgres 23503 "a foreign key holds on the reference tables" \
  "INSERT INTO aimass.deployments (project_id, model_id, strategy) VALUES (1, 999999, 'x')"

check 0 "the scoring functions are PARALLEL RESTRICTED on the coordinator" \
  "SELECT bool_and(proparallel = 'r') FROM pg_proc WHERE pronamespace = 'aimass'::regnamespace AND proname IN ('predict', 'predict_proba', 'explain', 'score_points', 'served_model')"
check 2 "and on the workers" \
  "SELECT bool_and(proparallel = 'r') FROM pg_proc WHERE pronamespace = 'aimass'::regnamespace AND proname IN ('predict', 'predict_proba', 'explain', 'score_points', 'served_model')"

# 2. Scoring where the data is.
rows=$(on 0 "SELECT count(*) FROM credit_data")
on 0 "EXPLAIN (VERBOSE, COSTS OFF) SELECT id, aimass.predict_proba('credit', t) FROM credit_dist t" >"$OUT/explain.txt"
grep -q 'Custom Scan (Citus Adaptive)' "$OUT/explain.txt" && grep -q 'Task Count: 4' "$OUT/explain.txt" \
  && grep -q 'Query: SELECT id, aimass.predict_proba(.credit.::text, t.\*) AS predict_proba FROM public.credit_dist_' "$OUT/explain.txt" \
  || { cat "$OUT/explain.txt"; fail "predict_proba is not pushed down into the shard queries"; }
ok "EXPLAIN: predict_proba runs in each of the 4 shard queries"
PARALLEL="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2"
got=$(bash scripts/citus.sh psql -v ON_ERROR_STOP=1 -tA -c "$PARALLEL" \
  -c "SELECT count(*) FILTER (WHERE aimass.predict_proba('credit', t) > 0) FROM credit_data t" \
  -c "SELECT count(*) FILTER (WHERE aimass.predict_proba('credit', t) > 0) FROM credit_dist t" 2>&1 | tr '\n' ' ')
[ "$got" = "$rows $rows " ] || fail "scoring under parallel plans on the coordinator and the workers (got: $got)"
ok "scoring a local and a distributed table under parallel plans"
SAME="SELECT count(*) = $rows
               AND count(*) FILTER (WHERE float8send(d.p) IS DISTINCT FROM float8send(l.p)) = 0
          FROM (SELECT id, aimass.predict_proba('credit', t) AS p FROM credit_dist t) d
          JOIN (SELECT id, aimass.predict_proba('credit', t) AS p FROM credit_data t) l USING (id)"
check 0 "distributed scores equal local scores bit for bit" "$SAME"
on 0 "INSERT INTO credit_scores SELECT id, aimass.predict_proba('credit', t) FROM credit_dist t" >/dev/null
on 0 "EXPLAIN (COSTS OFF) INSERT INTO credit_scores SELECT id, aimass.predict_proba('credit', t) FROM credit_dist t" >"$OUT/explain_insert.txt"
grep -q 'Task Count: 4' "$OUT/explain_insert.txt" && grep -q 'Insert on credit_scores_[0-9]*' "$OUT/explain_insert.txt" || { cat "$OUT/explain_insert.txt"; fail "INSERT ... SELECT not pushed down"; }
check 0 "INSERT ... SELECT scores on the workers (pushdown), bit-equal" \
  "SELECT count(*) = $rows AND count(*) FILTER (WHERE float8send(s.score) IS DISTINCT FROM float8send(aimass.predict_proba('credit', c))) = 0
     FROM credit_scores s JOIN credit_dist c USING (id)"
deployed=$(on 0 "SELECT model_id FROM aimass.current_deployments WHERE project = 'credit'")
check 0 "a model id scores on the workers too" \
  "SELECT count(*) FILTER (WHERE float8send(aimass.predict_proba($deployed, t)) IS DISTINCT FROM float8send(aimass.predict_proba('credit', t))) = 0 FROM credit_dist t"

# 3. A deployment on the coordinator serves on the workers' next query.
second=$(on 0 "SELECT model_id FROM aimass.train('credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', hyperparams => '{\"alpha\": 50}', deploy => 'never')")
first=$(on 0 "SELECT model_id FROM aimass.current_deployments WHERE project = 'credit'")
DEPLOYED="SELECT count(*) FILTER (WHERE float8send(d.p) IS DISTINCT FROM float8send(l.p)) = 0
            FROM (SELECT id, aimass.predict_proba('credit', t) AS p FROM credit_dist t) d
            JOIN (SELECT id, aimass.predict_proba(MODEL, t) AS p FROM credit_data t) l USING (id)"
# One coordinator session: its connections to the workers (and so the workers' backends, whose
# scoring caches hold the first model) serve every statement; the backends' pids prove it.
PIDS="SELECT array_agg(DISTINCT p ORDER BY p) FROM (SELECT pg_backend_pid() p FROM credit_dist) s"
# One connection per worker: Citus would open a second one to a worker whose tasks wait (its slow
# start), as it did under load.
bash scripts/citus.sh psql -v ON_ERROR_STOP=1 -qtA -c "SET citus.max_adaptive_executor_pool_size = 1" -c "$PIDS" -c "${DEPLOYED/MODEL/$first}" \
  -c "SELECT model_id FROM aimass.deploy($second)" -c "${DEPLOYED/MODEL/$second}" -c "$PIDS" >"$OUT/deploy.txt"
mapfile -t got <"$OUT/deploy.txt"
[ "${got[1]}" = t ] || fail "the workers did not serve the first model before the deploy (${got[*]})"
[ "${got[3]}" = t ] || fail "after a deploy on the coordinator the workers' cached sessions serve the old model (${got[*]})"
[ "${got[0]}" = "${got[4]}" ] || fail "the worker backends changed during the deploy test (${got[0]} ${got[4]})"
ok "a deploy on the coordinator is served by both workers' next query, in the same worker backends ${got[0]}"
for n in 1 2; do
  check $n "worker $n's catalog shows the deployment" \
    "SELECT model_id = $second FROM aimass.current_deployments WHERE project = 'credit'"
done
models=$(on 0 "SELECT count(*) FROM aimass.models")
on 0 "BEGIN; SELECT model_id FROM aimass.train('credit', hyperparams => '{\"alpha\": 5}', deploy => 'always'); SELECT aimass.deploy($first); ROLLBACK" >/dev/null
for n in 0 1 2; do
  check $n "node $n: a rolled-back training and deployment left nothing" \
    "SELECT (SELECT count(*) FROM aimass.models) = $models AND (SELECT model_id FROM aimass.current_deployments WHERE project = 'credit') = $second"
done
check 0 "after the rollback the workers still serve the deployed model" "${DEPLOYED/MODEL/$second}"

# 4. A scorer role on every worker.
got=$(on 0 scorer "SELECT count(*) FILTER (WHERE p > 0 AND p < 1) FROM (SELECT aimass.predict_proba('credit', t) AS p FROM credit_dist t) s")
[ "$got" = "$rows" ] || fail "scorer on the workers (got: $got)"
ok "a scorer scores every row on the workers"
expect_error 0 scorer 42501 "a scorer may not train" \
  "SELECT aimass.train('credit', 'credit_dist', 'status', exclude => ARRAY['id'], split => 'column:split')"
expect_error 0 scorer 42501 "a scorer may not deploy" "SELECT aimass.deploy($first)"
expect_error 1 scorer 42501 "a scorer may not write the catalog on a worker" "DELETE FROM aimass.deployments"

# 5. Training on the shards' sums. credit_big is credit_data 40 times (178,160 rows) on both
#    workers and locally; the bytes the coordinator's backend receives from its sockets during the
#    distributed training (recvfrom, traced: scripts/citus.sh measure) are measured against
#    those of reading the training columns once.
NUMERIC="ARRAY['seniority', 'time', 'age', 'expenses', 'income', 'assets', 'debt', 'amount', 'price']"
measure() { # SQL: runs it in a session of its own, prints the socket bytes it cost and the value
  local secs bytes value
  read -r secs bytes value <<<"$(bash scripts/citus.sh measure "$1")" || true
  echo "$bytes $value"
}
on 0 "CREATE TABLE credit_big (LIKE credit_data INCLUDING ALL);
      INSERT INTO credit_big SELECT (jsonb_populate_record(NULL::credit_data, to_jsonb(c) || jsonb_build_object('id', c.id + 10000 * g))).*
        FROM credit_data c, generate_series(0, 39) g" >/dev/null
on 0 "CREATE TABLE credit_big_dist (LIKE credit_big); SELECT create_distributed_table('credit_big_dist', 'id', shard_count => 4); INSERT INTO credit_big_dist SELECT * FROM credit_big" >/dev/null
local_model=$(on 0 "SELECT model_id FROM aimass.train('big_local', 'credit_big', 'status', features => $NUMERIC, split => 'column:split')")
read -r pulled _ <<<"$(measure "SELECT count(*) FROM (SELECT seniority, time, age, expenses, income, assets, debt, amount, price, status, split FROM credit_big_dist OFFSET 0) s")"
read -r trained dist_model <<<"$(measure "SELECT model_id FROM aimass.train('big_dist', 'credit_big_dist', 'status', features => $NUMERIC, split => 'column:split')")"
[ -n "$dist_model" ] || { cat "$OUT/measure.out"; fail "distributed training"; }
check 0 "distributed logistic coefficients equal the single-node fit's to 1e-9" \
  "SELECT count(*) = 10 AND max(abs(a.coefficient - b.coefficient)) < 1e-9
     FROM aimass.coefficients($local_model) a JOIN aimass.coefficients($dist_model) b USING (input)"
check 0 "and so do the row counts and the test AUC" \
  "SELECT abs((a.metrics->'test'->>'auc')::float8 - (b.metrics->'test'->>'auc')::float8) < 1e-9
          AND sa.train_rows = sb.train_rows AND sa.test_rows = sb.test_rows AND sa.row_count = 40 * $rows
     FROM aimass.models a JOIN aimass.snapshots sa ON sa.id = a.snapshot_id, aimass.models b JOIN aimass.snapshots sb ON sb.id = b.snapshot_id
    WHERE a.id = $local_model AND b.id = $dist_model"
check 0 "a distributed training keeps its features' drift reference: the single-node fit's (exact deciles, their counts)" \
  "SELECT a.reference->'features' = b.reference->'features' AND (SELECT count(*) FROM jsonb_object_keys(a.reference->'features')) = 9
     FROM aimass.models a, aimass.models b WHERE a.id = $local_model AND b.id = $dist_model"
stats=$(on 0 "SELECT metrics->'distributed'->>'bytes_to_coordinator' FROM aimass.models WHERE id = $dist_model")
echo "citus-test: reading the training columns moved $pulled bytes to the coordinator; the distributed training $trained (its own count: $stats)" | tee "$OUT/traffic.txt"
[ "$trained" -lt $((pulled / 2)) ] || fail "the distributed training read $trained bytes, reading the rows $pulled"
ok "the distributed training moved less than half the bytes of the rows ($trained of $pulled)"
expect_error 0 postgres 22023 "the distribution column as a feature" \
  "SELECT aimass.train('x', 'credit_big_dist', 'status', features => ARRAY['id', 'age'], split => 'column:split')"
expect_error 0 postgres 0A000 "a random split on a distributed table" \
  "SELECT aimass.train('x', 'credit_big_dist', 'status', features => ARRAY['age'], split => 'random')"
expect_error 0 postgres 0A000 "gradient boosting with early stopping on a distributed table (not built yet)" \
  "SELECT aimass.train('x', 'credit_big_dist', 'status', features => ARRAY['age'], algorithm => 'gradient_boosting', split => 'column:split', hyperparams => '{\"early_stopping_rounds\": 5}')"
expect_error 0 postgres 0A000 "gradient boosting with class weights on a distributed table (not built yet)" \
  "SELECT aimass.train('x', 'credit_big_dist', 'status', features => ARRAY['age'], algorithm => 'gradient_boosting', split => 'column:split', hyperparams => '{\"class_weight\": \"balanced\"}')"
expect_error 0 postgres 0A000 "a text feature on a distributed table (not built yet)" \
  "SELECT aimass.train('x', 'credit_big_dist', 'status', features => ARRAY['home'], split => 'column:split')"
check 1 "worker 1 holds the distributed model" "SELECT count(*) = 1 FROM aimass.models WHERE id = $dist_model"
check 0 "the distributed model scores distributed rows bit-equal to local rows" \
  "SELECT count(*) FILTER (WHERE float8send(d.p) IS DISTINCT FROM float8send(l.p)) = 0
     FROM (SELECT id, aimass.predict_proba($dist_model, t) AS p FROM credit_big_dist t) d
     JOIN (SELECT id, aimass.predict_proba($dist_model, t) AS p FROM credit_big t) l USING (id)"

# 6. A shard ensemble: one gradient boosting model per shard, fitted on its worker, averaged.
gbdt_local=$(on 0 "SELECT model_id FROM aimass.train('big_gbdt', 'credit_big', 'status', algorithm => 'gradient_boosting', features => $NUMERIC, split => 'column:split', deploy => 'never')")
read -r ens_bytes ensemble <<<"$(measure "SELECT model_id FROM aimass.train('big_ensemble', 'credit_big_dist', 'status', algorithm => 'gradient_boosting', features => $NUMERIC, split => 'column:split', strategy => 'shard_ensemble')")"
[ -n "$ensemble" ] || { cat "$OUT/measure.out"; fail "shard ensemble training"; }
check 0 "a shard ensemble has one member per shard and is a bagging model" \
  "SELECT algorithm = 'bagging' AND (metrics->'distributed'->>'members')::int = (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'credit_big_dist'::regclass) AND hyperparams->>'estimator' = 'gradient_boosting'
     FROM aimass.models WHERE id = $ensemble"
auc=$(on 0 "SELECT round((metrics->'test'->>'auc')::numeric, 4) || ' (one node: ' || round((SELECT metrics->'test'->>'auc' FROM aimass.models WHERE id = $gbdt_local)::numeric, 4) || ')' FROM aimass.models WHERE id = $ensemble")
check 0 "the shard ensemble's test AUC is within 0.02 of one gradient boosting model on all rows: $auc" \
  "SELECT abs((a.metrics->'test'->>'auc')::float8 - (b.metrics->'test'->>'auc')::float8) < 0.02
     FROM aimass.models a, aimass.models b WHERE a.id = $ensemble AND b.id = $gbdt_local"
check 0 "the shard ensemble's stored test AUC is what it scores now on the workers" \
  "SELECT abs(aimass.auc(aimass.predict_proba($ensemble, t), t.status = 'bad') - $(on 0 "SELECT metrics->'test'->>'auc' FROM aimass.models WHERE id = $ensemble")) < 1e-12
     FROM credit_big_dist t WHERE split = 'test'"
echo "citus-test: the shard ensemble moved $ens_bytes bytes to the coordinator" | tee -a "$OUT/traffic.txt"
expect_error 0 postgres 0A000 "a shard ensemble of an algorithm that needs more than numbers" \
  "SELECT aimass.train('x', 'credit_big_dist', 'status', algorithm => 'scorecard', features => ARRAY['age'], split => 'column:split', strategy => 'shard_ensemble')"

# 6b. Exact distributed gradient boosting: bins from the workers' value summaries, each pass's
#     histograms built on the workers and added on the coordinator, which grows the trees; 30
#     rounds (the passes' cost grows with rounds², measured in BENCHMARKS.md).
GB="algorithm => 'gradient_boosting', features => $NUMERIC, split => 'column:split', deploy => 'never', hyperparams => '{\"n_estimators\": 30}'"
gb_local=$(on 0 "SELECT model_id FROM aimass.train('big_gb30', 'credit_big', 'status', $GB)")
read -r gb_bytes gb_dist <<<"$(measure "SELECT model_id FROM aimass.train('big_gb30_dist', 'credit_big_dist', 'status', $GB)")"
[ -n "$gb_dist" ] || { cat "$OUT/measure.out"; fail "distributed gradient boosting"; }
auc=$(on 0 "SELECT round((metrics->'test'->>'auc')::numeric, 5) || ' (one node: ' || round((SELECT metrics->'test'->>'auc' FROM aimass.models WHERE id = $gb_local)::numeric, 5) || ', ' || (metrics->'distributed'->>'passes') || ' passes)' FROM aimass.models WHERE id = $gb_dist")
check 0 "distributed gradient boosting's test AUC is within 0.002 of the single-node fit's: $auc" \
  "SELECT a.algorithm = 'gradient_boosting' AND a.metrics->'distributed'->>'method' = 'histograms'
          AND abs((a.metrics->'test'->>'auc')::float8 - (b.metrics->'test'->>'auc')::float8) < 0.002
          AND a.hyperparams = b.hyperparams
     FROM aimass.models a, aimass.models b WHERE a.id = $gb_dist AND b.id = $gb_local"
check 0 "its stored test AUC is what it scores now on the workers" \
  "SELECT abs(aimass.auc(aimass.predict_proba($gb_dist, t), t.status = 'bad') - $(on 0 "SELECT metrics->'test'->>'auc' FROM aimass.models WHERE id = $gb_dist")) < 1e-12
     FROM credit_big_dist t WHERE split = 'test'"
check 0 "its recipe is the single-node fit's: NULLs kept as missing, the same scaling to 1e-9" \
  "SELECT count(*) = 9 FROM aimass.model_features($gb_dist) d JOIN aimass.model_features($gb_local) l USING (position)
    WHERE d.column_name = l.column_name AND d.statistics->>'impute' = 'keep' AND l.statistics->>'impute' = 'keep'
      AND abs((d.statistics->>'center')::float8 - (l.statistics->>'center')::float8) < 1e-9
      AND abs((d.statistics->>'scale_by')::float8 / (l.statistics->>'scale_by')::float8 - 1) < 1e-9"
echo "citus-test: distributed gradient boosting (30 rounds) moved $gb_bytes bytes to the coordinator" | tee -a "$OUT/traffic.txt"
# Twice the rows (every row twice): the bins, the passes, their histograms and the metrics'
# distinct scores stay as they were (the metrics move counts by distinct score, not rows). Five
# rounds on each.
on 0 "CREATE TABLE credit_twice_dist (LIKE credit_big); SELECT create_distributed_table('credit_twice_dist', 'id', shard_count => 4);
      INSERT INTO credit_twice_dist SELECT * FROM credit_big UNION ALL SELECT * FROM credit_big" >/dev/null
GB5="algorithm => 'gradient_boosting', features => $NUMERIC, split => 'column:split', deploy => 'never', hyperparams => '{\"n_estimators\": 5}'"
read -r once_bytes once <<<"$(measure "SELECT model_id FROM aimass.train('gb5_once', 'credit_big_dist', 'status', $GB5)")"
read -r twice_bytes twice <<<"$(measure "SELECT model_id FROM aimass.train('gb5_twice', 'credit_twice_dist', 'status', $GB5)")"
[ -n "$once" ] && [ -n "$twice" ] || fail "gradient boosting on the doubled table"
own="(metrics->'distributed'->>'bytes_to_coordinator')::bigint - (metrics->'distributed'->>'metrics_bytes')::bigint"
echo "citus-test: 5 rounds on $rows × 40 rows moved $once_bytes bytes, on twice the rows $twice_bytes; reading the first table's training columns $pulled; the training's own (without the metrics): $(on 0 "SELECT string_agg(($own)::text, ' and ' ORDER BY id) FROM aimass.models WHERE id IN ($once, $twice)")" | tee -a "$OUT/traffic.txt"
[ $((twice_bytes - once_bytes)) -lt $((pulled / 2)) ] \
  || fail "twice the rows cost the coordinator $((twice_bytes - once_bytes)) more bytes, reading them $pulled"
ok "twice the rows cost the coordinator $((twice_bytes - once_bytes)) more bytes, less than half of reading the added rows' training columns ($pulled)"
[ $((twice_bytes * 4)) -lt $((once_bytes * 5)) ] \
  || fail "twice the rows cost the coordinator $twice_bytes bytes, once $once_bytes: not flat"
ok "and the whole training's traffic, metrics included, stays flat: $twice_bytes bytes on twice the rows, $once_bytes once"
check 0 "the training's own traffic (bins and histograms, the metrics' scores left out) does not grow with the rows" \
  "SELECT b.own < 1.25 * a.own AND a.own > 0
     FROM (SELECT $own AS own FROM aimass.models WHERE id = $once) a, (SELECT $own AS own FROM aimass.models WHERE id = $twice) b"

# 7. The metric aggregates on a distributed table: Citus computes each shard's state on its
#    worker (worker_partial_agg) and combines the states on the coordinator; the results are the
#    local copy's bit for bit (log loss and Brier, float sums added in another order, to 1e-12).
plan=$(on 0 "EXPLAIN (VERBOSE, COSTS OFF) SELECT aimass.auc(aimass.predict_proba('credit', t), t.status = 'bad') FROM credit_dist t")
{ grep -q 'worker_partial_agg' <<<"$plan" && grep -q 'coord_combine_agg' <<<"$plan"; } \
  || { echo "$plan"; fail "the AUC aggregate is computed on the workers"; }
ok "the AUC aggregate's state is computed on the workers and combined on the coordinator (EXPLAIN)"
METRICS="ARRAY[float8send(aimass.auc(aimass.predict_proba('credit', t), t.status = 'bad')),
         float8send(aimass.ks(aimass.predict_proba('credit', t), t.status = 'bad')),
         float8send(aimass.gini(aimass.predict_proba('credit', t), t.status = 'bad')),
         float8send(aimass.iv(t.age::float8, t.status = 'bad')),
         float8send(aimass.iv(t.income::float8, t.status = 'bad')),
         float8send(aimass.psi(t.income::float8, t.split = 'train'))]"
check 0 "auc, ks, gini, iv and psi of a distributed table equal the local copy's bit for bit" \
  "SELECT d = l AND array_position(l, NULL) IS NULL
     FROM (SELECT $METRICS AS d FROM credit_dist t) d, (SELECT $METRICS AS l FROM credit_data t) l"
check 0 "and so per group (GROUP BY a column that is not the distribution column)" \
  "SELECT count(*) = 2 AND count(*) FILTER (WHERE d.m IS DISTINCT FROM l.m) = 0
     FROM (SELECT t.split, $METRICS AS m FROM credit_dist t GROUP BY t.split) d
     JOIN (SELECT t.split, $METRICS AS m FROM credit_data t GROUP BY t.split) l USING (split)"
check 0 "log_loss and brier of a distributed table equal the local copy's to 1e-12" \
  "SELECT abs(d.ll - l.ll) < 1e-12 * l.ll AND abs(d.b - l.b) < 1e-12 * l.b
     FROM (SELECT aimass.log_loss(aimass.predict_proba('credit', t), t.status = 'bad') ll,
                  aimass.brier(aimass.predict_proba('credit', t), t.status = 'bad') b FROM credit_dist t) d,
          (SELECT aimass.log_loss(aimass.predict_proba('credit', t), t.status = 'bad') ll,
                  aimass.brier(aimass.predict_proba('credit', t), t.status = 'bad') b FROM credit_data t) l"
# What reaches the coordinator: the shards' states (each distinct value once), not the rows.
read -r iv_bytes _ <<<"$(measure "SELECT aimass.iv(age::float8, status = 'bad') FROM credit_big_dist")"
read -r age_bytes _ <<<"$(measure "SELECT count(*) FROM (SELECT age, status FROM credit_big_dist OFFSET 0) s")"
read -r auc_bytes _ <<<"$(measure "SELECT aimass.auc(aimass.predict_proba($dist_model, t), t.status = 'bad') FROM credit_big_dist t")"
read -r scores_bytes _ <<<"$(measure "SELECT count(*) FROM (SELECT aimass.predict_proba($dist_model, t), t.status FROM credit_big_dist t OFFSET 0) s")"
echo "citus-test: traffic of the aggregates over $(on 0 "SELECT count(*) FROM credit_big_dist") rows: iv(age) $iv_bytes bytes (pulling the column: $age_bytes); auc of the scores $auc_bytes bytes (pulling the scores: $scores_bytes)"
[ "${iv_bytes:-0}" -gt 0 ] && [ "$((iv_bytes * 10))" -lt "${age_bytes:-0}" ] \
  || fail "iv of a distributed column: $iv_bytes bytes, not a tenth of pulling its rows ($age_bytes)"
ok "iv of a column of few values brings the coordinator under a tenth of the column's bytes ($iv_bytes vs $age_bytes)"
[ "${auc_bytes:-0}" -gt 0 ] && [ "$auc_bytes" -lt "${scores_bytes:-0}" ] \
  || fail "auc of distributed scores: $auc_bytes bytes, not under pulling the scores ($scores_bytes)"
ok "auc of the scores on the workers brings the coordinator fewer bytes than the scores ($auc_bytes vs $scores_bytes)"

# 8. The rest of the surface on distributed tables: evaluate's metrics from the workers' score
#    counts (the _value_counts aggregate, pushed down), bin's from each column's counts by label;
#    predict_batch reads the rows on the coordinator for now; explain runs in the shard queries.
check 0 "evaluate on a distributed table scores on the workers and gives the local copy's AUC, KS and confusion matrix" \
  "SELECT d->'auc' = l->'auc' AND d->'ks' = l->'ks' AND d->'rows' = l->'rows'
          AND d->'confusion_matrix' = l->'confusion_matrix' AND d->'null_target_rows' = l->'null_target_rows'
          AND abs((d->>'log_loss')::float8 - (l->>'log_loss')::float8) < 1e-12
          AND abs((d->>'brier')::float8 - (l->>'brier')::float8) < 1e-12
          AND d->'distributed'->>'engine' = 'citus' AND NOT l ? 'distributed'
     FROM aimass.evaluate($dist_model, 'credit_big_dist', 'status') d, aimass.evaluate($dist_model, 'credit_big', 'status') l"
read -r eval_bytes _ <<<"$(measure "SELECT aimass.evaluate($dist_model, 'credit_big_dist', 'status')")"
[ "${eval_bytes:-0}" -gt 0 ] && [ "$eval_bytes" -lt "${scores_bytes:-0}" ] \
  || fail "evaluate on a distributed table: $eval_bytes bytes, not under pulling the scores ($scores_bytes)"
ok "and brings the coordinator fewer bytes than the scores ($eval_bytes vs $scores_bytes)"
BINS="SELECT array_agg(ROW(column_name, bin, label, count, bads, goods, woe, iv, total_iv)::text ORDER BY column_name, bin)"
BINNED="ARRAY['age', 'income', 'home', 'records', 'amount']"
check 0 "bin on a distributed table gives the local copy's bins, WOE and IV (the workers send counts)" \
  "SELECT d = l AND cardinality(l) > 10
     FROM ($BINS AS d FROM aimass.bin('credit_dist', 'status', $BINNED)) d,
          ($BINS AS l FROM aimass.bin('credit_data', 'status', $BINNED)) l"
check 0 "and so with the chimerge method and a special value" \
  "SELECT d = l
     FROM ($BINS AS d FROM aimass.bin('credit_dist', 'status', ARRAY['income', 'assets'], 'chimerge', '{\"special_values\": [0]}')) d,
          ($BINS AS l FROM aimass.bin('credit_data', 'status', ARRAY['income', 'assets'], 'chimerge', '{\"special_values\": [0]}')) l"
read -r bin_bytes _ <<<"$(measure "SELECT count(*) FROM aimass.bin('credit_big_dist', 'status', ARRAY['age', 'home', 'records'])")"
read -r cols_bytes _ <<<"$(measure "SELECT count(*) FROM (SELECT age, home, records, status FROM credit_big_dist OFFSET 0) s")"
[ "${bin_bytes:-0}" -gt 0 ] && [ "$((bin_bytes * 10))" -lt "${cols_bytes:-0}" ] \
  || fail "bin on a distributed table: $bin_bytes bytes, not a tenth of pulling the columns ($cols_bytes)"
ok "bin of columns of few values brings the coordinator under a tenth of their bytes ($bin_bytes vs $cols_bytes)"
# profile from each column's counts by value and label: the local copy's figures. The edge table
# has NaN and infinite numbers, NULLs, NULL targets, a boolean, a timestamp and a text column.
on 0 "CREATE TABLE edge AS SELECT i AS id, CASE WHEN i % 97 = 0 THEN 'NaN'::float8 WHEN i % 89 = 0 THEN 'Infinity' WHEN i % 13 = 0 THEN NULL ELSE (i % 41) * 1.5 END AS x,
             i % 3 = 0 AS flag, timestamp '2024-01-01' + i * interval '1 hour' AS at, (ARRAY['a', 'b', NULL, 'c'])[1 + i % 4] AS kind,
             CASE WHEN i % 11 = 0 THEN NULL WHEN (i * 7919) % 5 < 2 THEN 'bad' ELSE 'good' END AS status
        FROM generate_series(1, 3000) i;
      CREATE TABLE edge_dist (LIKE edge); SELECT create_distributed_table('edge_dist', 'id'); INSERT INTO edge_dist SELECT * FROM edge" >/dev/null
SAME_PROFILE="count(*) FILTER (WHERE NOT (d.data_type = l.data_type AND d.rows = l.rows AND d.nulls = l.nulls
            AND d.non_finite = l.non_finite AND d.distinct_values = l.distinct_values
            AND d.min IS NOT DISTINCT FROM l.min AND d.max IS NOT DISTINCT FROM l.max
            AND d.quantiles IS NOT DISTINCT FROM l.quantiles AND d.outliers_iqr IS NOT DISTINCT FROM l.outliers_iqr
            AND d.zeros IS NOT DISTINCT FROM l.zeros AND d.top_values IS NOT DISTINCT FROM l.top_values
            AND d.iv IS NOT DISTINCT FROM l.iv AND d.auc IS NOT DISTINCT FROM l.auc
            AND coalesce(abs(d.mean - l.mean) <= 1e-12 * greatest(abs(l.mean), 1), d.mean IS NULL AND l.mean IS NULL)
            AND coalesce(abs(d.stddev - l.stddev) <= 1e-12 * greatest(l.stddev, 1), d.stddev IS NULL AND l.stddev IS NULL))) = 0"
check 0 "profile of a distributed table gives the local copy's figures, IV and AUC (the workers send counts)" \
  "SELECT count(*) = 16 AND $SAME_PROFILE FROM aimass.profile('credit_dist', 'status') d JOIN aimass.profile('credit_data', 'status') l USING (column_name)"
check 0 "and so with NaN, infinities, NULLs, NULL targets, booleans, times and text" \
  "SELECT count(*) = 6 AND $SAME_PROFILE FROM aimass.profile('edge_dist', 'status') d JOIN aimass.profile('edge', 'status') l USING (column_name)"
check 0 "and without a target" \
  "SELECT count(*) = 6 AND $SAME_PROFILE FROM aimass.profile('edge_dist') d JOIN aimass.profile('edge') l USING (column_name)"
read -r prof_bytes _ <<<"$(measure "SELECT count(*) FROM aimass.profile('credit_big_dist', 'status')")"
echo "citus-test: profile of credit_big_dist ($(on 0 "SELECT count(*) FROM credit_big_dist") rows) brought the coordinator $prof_bytes bytes (pulling the training columns: $pulled)"
check 0 "predict_batch on a distributed table gives the pushed-down scores bit for bit" \
  "SELECT count(*) = $rows AND count(*) FILTER (WHERE float8send(b.score) IS DISTINCT FROM float8send(s.p)) = 0
     FROM aimass.predict_batch('credit', 'credit_dist', 'id') b
     JOIN (SELECT id, aimass.predict_proba('credit', t) AS p FROM credit_dist t) s ON s.id = b.id"
check 0 "explain runs on the workers and gives the local contributions" \
  "SELECT abs(d.total - l.total) < 1e-9 AND d.n = l.n
     FROM (SELECT sum(e.contribution) AS total, count(*) AS n FROM credit_dist t, LATERAL aimass.explain('credit', t) e) d,
          (SELECT sum(e.contribution) AS total, count(*) AS n FROM credit_data t, LATERAL aimass.explain('credit', t) e) l"

# 9. Monitoring from the workers' counts: a check of a distributed table counts each feature in
#    the reference's bins and scores on the workers (aimass._drift_score in the shard queries),
#    with the findings of the same check of a local copy of the rows, performance included.
#    The background worker is switched off, so that run_monitor, not it, takes each check.
on 0 "ALTER SYSTEM SET aimass.monitor_enabled = off" >/dev/null
on 0 "SELECT pg_reload_conf(), pg_sleep(2)" >/dev/null
# ... and any monitoring worker it started before has ended (at most 30 s).
on 0 "DO \$\$ BEGIN
        FOR i IN 1..300 LOOP
          EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'aimass monitor');
          PERFORM pg_sleep(0.1);
        END LOOP;
      END \$\$" >/dev/null
FINDINGS="SELECT array_agg(ROW(kind, feature, statistic, float8send(value), expected, threshold, status)::text ORDER BY kind, feature, statistic)"
on 0 "SELECT aimass.monitor('big_dist', 'credit_big_dist', '{\"sample_rows\": 0, \"label_column\": \"status\", \"min_rows\": 100}')" >/dev/null
check 0 "check_drift of a distributed table gives the local copy's drift and performance findings" \
  "SELECT d = l AND cardinality(l) >= 3 * 10 + 3
     FROM ($FINDINGS AS d FROM aimass.check_drift('big_dist', 'credit_big_dist')) d,
          ($FINDINGS AS l FROM aimass.check_drift('big_dist', 'credit_big')) l"
check 0 "its performance findings are the evaluate's AUC and KS of the same rows" \
  "SELECT abs(a.value - (e->>'auc')::float8) < 1e-12 AND abs(k.value - (e->>'ks')::float8) < 1e-12
     FROM aimass.check_drift('big_dist', 'credit_big_dist') a, aimass.check_drift('big_dist', 'credit_big_dist') k,
          aimass.evaluate($dist_model, 'credit_big', 'status') e
    WHERE a.kind = 'performance' AND a.statistic = 'auc' AND k.kind = 'performance' AND k.statistic = 'ks'"
on 0 "EXPLAIN (VERBOSE, COSTS OFF) SELECT width_bucket(aimass._drift_score($dist_model::bigint, t), ARRAY[0.5]), count(*) FROM credit_big_dist t GROUP BY 1" >"$OUT/explain_drift.txt"
grep -q 'Task Count: 4' "$OUT/explain_drift.txt" && grep -q 'Query: SELECT width_bucket(aimass._drift_score(' "$OUT/explain_drift.txt" \
  || { cat "$OUT/explain_drift.txt"; fail "the check's scores are not counted in the shard queries"; }
ok "EXPLAIN: the check's scores are counted in the shard queries"
read -r drift_bytes _ <<<"$(measure "SELECT count(*) FROM aimass.check_drift('big_dist', 'credit_big_dist')")"
[ "${drift_bytes:-0}" -gt 0 ] && [ "$((drift_bytes * 10))" -lt "${pulled:-0}" ] \
  || fail "check_drift of a distributed table: $drift_bytes bytes, not a tenth of pulling the training columns ($pulled)"
ok "and brings the coordinator under a tenth of the bytes of its columns ($drift_bytes vs $pulled)"
# NaN and infinities are read as missing and counted (a warning) as in a local check; a text
# feature's unseen categories have their bin; NULLs theirs.
on 0 "CREATE TABLE edge_train AS SELECT * FROM edge WHERE x IS NULL OR x NOT IN ('NaN', 'Infinity') AND id % 7 <> 0;
      SELECT aimass.train('edge', 'edge_train', 'status', features => ARRAY['x', 'flag', 'kind'], algorithm => 'gradient_boosting',
                          hyperparams => '{\"n_estimators\": 5}');
      UPDATE edge SET kind = 'unseen' WHERE id % 50 = 0; UPDATE edge_dist SET kind = 'unseen' WHERE id % 50 = 0" >/dev/null
check 0 "and so with NaN, infinities, NULLs and an unseen category" \
  "SELECT d = l AND position('non_finite' IN d::text) > 0
     FROM ($FINDINGS AS d FROM aimass.check_drift('edge', 'edge_dist')) d,
          ($FINDINGS AS l FROM aimass.check_drift('edge', 'edge')) l"
# run_monitor's reports are checked by the next statement (a statement does not see what a
# function it calls wrote after its snapshot).
RUN="SELECT aimass.run_monitor(id) FROM aimass.projects WHERE name = 'big_dist'"
OPEN="SELECT count(*) FROM aimass.alerts a JOIN aimass.projects p ON p.id = a.project_id WHERE p.name = 'big_dist' AND a.resolved_at IS NULL"
status=$(on 0 "$RUN")
[ "$status" = ok ] || [ "$status" = warn ] || [ "$status" = alert ] || fail "a scheduled check of a distributed table: $status"
check 0 "the scheduled check of a distributed table runs as the monitor's creator and reports ($status)" \
  "SELECT count(*) > 0 FROM aimass.drift_reports r JOIN aimass.projects p ON p.id = r.project_id WHERE p.name = 'big_dist' AND r.scheduled"
on 0 "SELECT aimass.monitor('big_dist', 'credit_big_dist', '{\"sample_rows\": 0, \"min_rows\": 100, \"psi\": {\"warn\": 1e-9, \"alert\": 2e-9}}')" >/dev/null
status=$(on 0 "$RUN")
check 0 "a scheduled check of a distributed table raises alerts in the distributed catalog ($status)" "SELECT '$status' = 'alert' AND ($OPEN) > 0"
on 0 "SELECT aimass.monitor('big_dist', 'credit_big_dist', '{\"sample_rows\": 0, \"min_rows\": 100}')" >/dev/null
status=$(on 0 "$RUN")
check 0 "and resolves them ($status)" "SELECT '$status' = 'ok' AND ($OPEN) = 0"
on 0 "CREATE TABLE gone (LIKE credit_big_dist); SELECT create_distributed_table('gone', 'id');
      SELECT aimass.monitor('big_dist', 'gone'); DROP TABLE gone" >/dev/null
status=$(on 0 "$RUN" 2>/dev/null)
check 0 "a failing scheduled check is counted and put off ($status)" \
  "SELECT '$status' = 'error' AND m.failures = 1 AND m.next_check_at > now() + interval '1 hour'
     FROM aimass.projects p JOIN aimass.monitors m ON m.project_id = p.id WHERE p.name = 'big_dist'"

echo "citus-test: $passed checks passed"
