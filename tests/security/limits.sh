# Sourced by tests/security/run.sh: memory limits (3), cancellation (4) and the consistency of
# scoring with deployments (5). Uses its helpers (q, check, expect_error, fail, ok).

# 3. Memory -----------------------------------------------------------------------------------
# The request that restarted the cluster in 0.2.0: hashing 65536 buckets on 20 text columns.
cols=$(seq -s, 1 20 | sed 's/\([0-9]*\)/md5((i * \1)::text) AS t\1/g')
q postgres "CREATE TABLE wide_text AS SELECT i AS id, i % 2 = 0 AS bad, $cols FROM generate_series(1, 5000) i;
            GRANT SELECT ON wide_text TO PUBLIC" >/dev/null
for algorithm in logistic gradient_boosting random_forest mlp; do
  expect_error ana 54000 "hashing 20 text columns into 65536 buckets ($algorithm)" \
    "SELECT aimass.train('wide', 'wide_text', 'bad', algorithm => '$algorithm', exclude => ARRAY['id'],
                         preprocess => '{\"encode\": \"hashing\", \"buckets\": 65536}')"
done
expect_error ana 54000 "a grid of 1001 configurations, refused before it is built" \
  "SELECT aimass.train('grid', 'credit_data', 'status', exclude => ARRAY['id'], algorithm => 'gradient_boosting',
                       search => 'grid', search_params => jsonb_build_object('num_leaves', (SELECT jsonb_agg(i) FROM generate_series(2, 1002) i)))"
expect_error ana 54000 "100000 boosting rounds of 4096 leaves" \
  "SELECT aimass.train('gb', 'credit_data', 'status', exclude => ARRAY['id'], algorithm => 'gradient_boosting',
                       hyperparams => '{\"n_estimators\": 100000, \"num_leaves\": 4096}')"
q postgres "CREATE TABLE tenfold AS SELECT c.* FROM credit_data c, generate_series(1, 10); GRANT SELECT ON tenfold TO PUBLIC" >/dev/null
expect_error ana 54000 "10000 unbounded trees on 44550 rows" \
  "SELECT aimass.train('rf', 'tenfold', 'status', exclude => ARRAY['id'], algorithm => 'random_forest',
                       hyperparams => '{\"n_trees\": 10000}')"
# The same under a small limit, set by a superuser for the session the analyst then uses.
small() { # description, SQL (as ana, with aimass.max_memory = 1MB)
  expect_error postgres 54000 "$1 (aimass.max_memory = 1MB)" "SET aimass.max_memory = '1MB'" "SET ROLE ana" "$2"
}
small "the svm kernel matrix" \
  "SELECT aimass.train('svm', 'credit_data', 'status', exclude => ARRAY['id'], algorithm => 'svm')"
small "an aggregate's state" "SELECT aimass.auc(random(), random() < 0.5) FROM generate_series(1, 1000000)"
small "the states of 1000 groups, each small, together" \
  "SELECT count(*) FROM (SELECT g % 1000 AS k, aimass.auc(random(), random() < 0.5) FROM generate_series(1, 400000) g GROUP BY 1) x"
small "a text aggregate's state" "SELECT aimass.iv(md5(i::text), i % 2 = 0) FROM generate_series(1, 200000) i"
small "predict_batch's read buffers" "SELECT count(*) FROM aimass.predict_batch('hp', 'tenfold', 'id')"
small "evaluate's read buffers" "SELECT aimass.evaluate('hp', 'tenfold')"
small "profile's read buffers" "SELECT count(*) FROM aimass.profile('tenfold')"
small "training's read buffers" "SELECT aimass.train('ten', 'tenfold', 'status', exclude => ARRAY['id'])"
expect_error ana 42501 "aimass.max_memory is for superusers" "SET aimass.max_memory = '100GB'"
expect_error ana 42501 "aimass.model_cache_size is for superusers" "SET aimass.model_cache_size = '100GB'"
check postgres "the server did not restart" "SELECT pg_postmaster_start_time() = '$started'"

# 4. Cancellation -----------------------------------------------------------------------------
q postgres "CREATE TABLE big AS SELECT g * 10000 + c.id AS id, c.status, c.seniority, c.home, c.time, c.age, c.marital,
                   c.records, c.job, c.expenses, c.income, c.assets, c.debt, c.amount, c.price, c.split
              FROM credit_data c, generate_series(0, 99) g;
            GRANT SELECT ON big TO PUBLIC" >/dev/null
# A GBDT of 3000 trees: scoring the 445k rows of big with it takes minutes.
q postgres "SELECT aimass.train('slow', 'credit_data', 'status', exclude => ARRAY['id'], algorithm => 'gradient_boosting',
                                hyperparams => '{\"n_estimators\": 3000, \"learning_rate\": 0.01}', deploy => 'always')" >/dev/null
slow=$(q postgres "SELECT max(id) FROM aimass.models")
cancels() { # description, SQL (as ana under statement_timeout = 1s): 57014 within 10 s
  local t0 t1 code
  t0=$(date +%s%N)
  code="$(sqlstate ana "SET statement_timeout = '1s'" "SET aimass.progress_interval = -1" "$2")"
  t1=$(date +%s%N)
  [ "$code" = 57014 ] || fail "$1: expected ERROR 57014 (statement timeout), got '${code:-no error}'"
  local ms=$(((t1 - t0) / 1000000))
  [ "$ms" -lt 10000 ] || fail "$1: cancelled after $ms ms"
  ok "$1: cancelled after $ms ms"
}
# The solvers that once came from linfa (svm, L-BFGS, least squares) ran on a thread of their own
# that went on after a cancel. Now every solver stops: right after the cancelled statement, the
# same backend has its main thread only.
stops() { # description, SQL (as ana under statement_timeout = 1s, then the backend's threads counted)
  local out
  out="$({ echo "SET statement_timeout = '1s';"; echo "SET ROLE ana;"; echo "$2;"; echo "RESET ROLE;"
           echo "RESET statement_timeout;"
           echo "SELECT 'threads=' || count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task') d;"; } \
         | "${PSQL[@]}" -U postgres -tA 2>&1)"
  grep -q "canceling statement due to statement timeout" <<<"$out" || fail "$1: not cancelled: $out"
  grep -qx "threads=1" <<<"$out" || fail "$1: a thread is left running after the cancel: $(grep threads= <<<"$out")"
  ok "$1: cancelled, and no thread left running"
}
train() { # algorithm, hyperparams, [relation]
  echo "SELECT aimass.train('c_$1', '${3:-credit_data}', 'status', exclude => ARRAY['id'], algorithm => '$1', hyperparams => '$2', deploy => 'never')"
}
cancels "gradient_boosting fit" "$(train gradient_boosting '{"n_estimators": 100000, "learning_rate": 0.001}')"
cancels "random_forest fit" "$(train random_forest '{"n_trees": 10000}')"
# One tree on 500k rows of noise grows to thousands of leaves (12 s uncancelled here).
q postgres "CREATE TABLE noise AS SELECT i AS id, CASE WHEN random() < 0.5 THEN 'bad' ELSE 'good' END AS status,
                   random() a, random() b, random() c, random() d, random() e, random() f, random() g, random() h
              FROM generate_series(1, 500000) i;
            GRANT SELECT ON noise TO PUBLIC" >/dev/null
cancels "decision_tree fit" "$(train decision_tree '{}' noise)"
cancels "isolation_forest fit" "$(train isolation_forest '{"n_trees": 10000, "max_samples": 4000}')"
cancels "logistic fit (Newton)" "$(train logistic '{"max_iterations": 100000, "alpha": 0}' big)"
# 10k hashed inputs: L-BFGS (linfa's took 5.5 minutes uncancelled here).
lbfgs="SELECT aimass.train('c_lbfgs', 'credit_data', 'status', exclude => ARRAY['id'], preprocess => '{\"encode\": \"hashing\", \"buckets\": 2048}',
                       hyperparams => '{\"alpha\": 0, \"tolerance\": 1e-12, \"max_iterations\": 100000}', deploy => 'never')"
cancels "logistic fit (L-BFGS, past 1024 inputs)" "$lbfgs"
stops "logistic fit (L-BFGS, past 1024 inputs)" "$lbfgs"
# 300k rows of 40 noise features: binning and the logistic fit (3.4 s uncancelled here).
xs=$(seq -s, 1 40 | sed 's/\([0-9]*\)/random() AS x\1/g')
q postgres "CREATE TABLE widen AS SELECT i AS id, CASE WHEN random() < 0.5 THEN 'bad' ELSE 'good' END AS status, $xs
              FROM generate_series(1, 300000) i;
            GRANT SELECT ON widen TO PUBLIC" >/dev/null
cancels "scorecard fit" "$(train scorecard '{}' widen)"
cancels "mlp fit" "$(train mlp '{"epochs": 10000, "patience": 1000, "batch_size": 8}')"
cancels "svm fit" "$(train svm '{"c": 1000, "eps": 1e-9}')"
stops "svm fit" "$(train svm '{"c": 1000, "eps": 1e-9}')"
cancels "kmeans fit" \
  "SELECT aimass.train('c_km', 'big', algorithm => 'kmeans', task => 'clustering', exclude => ARRAY['id', 'status'],
                       hyperparams => '{\"n_clusters\": 500, \"n_init\": 100, \"max_iterations\": 100000, \"tolerance\": 0}', deploy => 'never')"
# Least squares on 10k hashed inputs of 5000 distinct texts each (linfa's solver took > 40 s here).
lin="SELECT aimass.train('c_lin', 'wide_text', 'id', algorithm => 'linear', task => 'regression',
                       preprocess => '{\"encode\": \"hashing\", \"buckets\": 512}', deploy => 'never')"
cancels "linear fit" "$lin"
stops "linear fit" "$lin"
cancels "bagging fit" "$(train bagging '{"n_estimators": 1000, "estimator": {"algorithm": "random_forest"}}')"
cancels "stacking fit" "$(train stacking '{"estimators": [{"algorithm": "gradient_boosting", "hyperparams": {"n_estimators": 100000}}], "folds": 20}')"
cancels "grid search" \
  "SELECT aimass.train('c_grid', 'credit_data', 'status', exclude => ARRAY['id'], algorithm => 'gradient_boosting',
                       hyperparams => '{\"n_estimators\": 2000}', search => 'grid',
                       search_params => '{\"num_leaves\": [4, 8, 16, 31, 63, 127, 255]}', deploy => 'never')"
cancels "evaluate's scoring pass" "SELECT aimass.evaluate($slow, 'big')"
cancels "predict_batch's scoring pass" "SELECT count(*) FROM aimass.predict_batch($slow, 'big', 'id')"
cancels "check_drift's scoring pass" "SELECT count(*) FROM aimass.check_drift('slow', 'big')"
cancels "inline scoring" "SELECT sum(aimass.predict_proba('slow', b)) FROM big b"
cancels "profile" "SELECT count(*) FROM generate_series(1, 20) g, LATERAL aimass.profile('big', CASE WHEN g > 0 THEN 'status' END)"
cancels "bin" "SELECT count(*) FROM generate_series(1, 20) g, LATERAL aimass.bin('big', CASE WHEN g > 0 THEN 'status' END, method => 'chimerge')"
cancels "clean" "SELECT aimass.clean('big', 'big_clean_' || g) FROM generate_series(1, 20) g"
# pg_terminate_backend from another session ends a training too.
( "${PSQL[@]}" -U ana -tAc "SELECT aimass.train('c_term', 'credit_data', 'status', exclude => ARRAY['id'],
     algorithm => 'gradient_boosting', hyperparams => '{\"n_estimators\": 100000, \"learning_rate\": 0.001}')" >/dev/null 2>&1 || true ) &
bg=$!
for _ in $(seq 1 40); do
  pid=$(q postgres "SELECT pid FROM pg_stat_activity WHERE usename = 'ana' AND query LIKE '%c_term%' AND state = 'active'")
  [ -n "$pid" ] && break; sleep 0.25
done
[ -n "$pid" ] || fail "the training to terminate did not start"
sleep 1
q postgres "SELECT pg_terminate_backend($pid)" >/dev/null
t0=$(date +%s%N)
for _ in $(seq 1 100); do
  [ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] && break; sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] || fail "pg_terminate_backend did not end the training"
wait "$bg" || true
ok "pg_terminate_backend ended a training after $ms ms"
check postgres "nothing of the cancelled trainings was stored" "SELECT count(*) = 0 FROM aimass.projects WHERE name LIKE 'c\_%'"
check postgres "the server did not restart" "SELECT pg_postmaster_start_time() = '$started'"

# 5. Consistency ------------------------------------------------------------------------------
# Two models of one project; with parallel workers forced, every row of a statement is scored by
# the deployment its snapshot sees, also right after another session deployed.
q postgres "SELECT aimass.train('cons', 'big', 'status', exclude => ARRAY['id'], deploy => 'always')" >/dev/null
m1=$(q postgres "SELECT max(id) FROM aimass.models")
q postgres "SELECT aimass.train('cons', 'big', 'status', exclude => ARRAY['id', 'income'], deploy => 'never')" >/dev/null
m2=$(q postgres "SELECT max(id) FROM aimass.models")
q postgres "SELECT * FROM aimass.deploy($m1)" >/dev/null
parallel="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"
"${PSQL[@]}" -U postgres -tAc "$parallel EXPLAIN (COSTS OFF) SELECT count(*) FILTER (WHERE aimass.predict_proba('cons', b) = aimass.predict_proba($m1, b)) FROM big b" \
  | grep -q Gather || fail "the consistency test's plan has no Gather: parallel workers are not exercised"
# Session A runs a statement, session B deploys m2 and commits, session A runs another: READ
# COMMITTED sees m2 in the second statement, REPEATABLE READ keeps m1; every row of a statement by
# one model (the leader's rows and the workers' alike). Each statement loads both models, so the
# second finds everything in the leader's cache and must not trust it blindly (in 0.2.0 the
# leader then scored with m1 and the workers with m2).
n=$(q postgres "SELECT count(*) FROM big")
by_both="SELECT count(*) FILTER (WHERE s = a1) || '/' || count(*) FILTER (WHERE s = a2)
  FROM (SELECT aimass.predict_proba('cons', b) s, aimass.predict_proba($m1, b) a1, aimass.predict_proba($m2, b) a2 FROM big b) x"
for iso in "READ COMMITTED" "REPEATABLE READ"; do
  then=$([ "$iso" = "READ COMMITTED" ] && echo "0/$n" || echo "$n/0")
  for how in plain prepared; do
    q postgres "SELECT * FROM aimass.deploy($m1)" >/dev/null
    if [ "$how" = prepared ]; then
      prepare="PREPARE by_both AS $by_both;"; run="EXECUTE by_both;"
    else
      prepare=""; run="$by_both;"
    fi
    got=$("${PSQL[@]}" -U postgres -tA 2>&1 <<SQL
$parallel
$prepare
BEGIN ISOLATION LEVEL $iso;
$run
\! ${PSQL[*]} -U postgres -tAc "SELECT * FROM aimass.deploy($m2)" >/dev/null
$run
COMMIT;
SQL
)
    [ "$(echo "$got" | tr '\n' ' ')" = "$n/0 $then " ] \
      || fail "$iso, $how: rows scored by m1/m2 in each statement: $(echo "$got" | tr '\n' ' '), expected $n/0 then $then"
    ok "$iso, $how: every row of each statement scored by the deployment its snapshot sees ($n/0, then $then)"
  done
done
# A deployment rolled back in a subtransaction never serves, not even later in the statement.
q postgres "SELECT * FROM aimass.deploy($m1)" >/dev/null
q postgres "CREATE FUNCTION deploy_and_roll_back(m bigint) RETURNS bigint[] LANGUAGE plpgsql AS \$\$
DECLARE
    inside bigint;
BEGIN
    BEGIN
        PERFORM aimass.deploy(m);
        inside := (SELECT aimass.served_model('cons', b) FROM big b LIMIT 1);
        RAISE EXCEPTION 'roll back';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    RETURN ARRAY[inside, (SELECT aimass.served_model('cons', b) FROM big b LIMIT 1)];
END \$\$" >/dev/null
check postgres "a deployment rolled back in a subtransaction serves inside it, and not after it in the same statement" \
  "SELECT deploy_and_roll_back($m2) = ARRAY[$m2, $m1]::bigint[]"
