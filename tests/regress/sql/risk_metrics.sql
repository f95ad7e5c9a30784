-- The metric aggregates and curves: equal to scikit-learn and toad (fixtures made by
-- tests/fixtures/make_risk_reference.py), equal to evaluate(), the same under a parallel plan.
\set VERBOSITY verbose
CREATE TABLE risk_reference (metric text, column_name text, value float8);
\copy risk_reference FROM 'tests/fixtures/risk_reference.csv' CSV HEADER

CREATE FUNCTION pg_temp.ours(metric text, col text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE r float8;
BEGIN
  IF metric IN ('auc', 'ks', 'gini', 'iv') THEN
    EXECUTE format('SELECT aimass.%s(%I, status = ''bad'') FROM credit_data', metric, col) INTO r;
  ELSIF metric = 'psi' THEN
    EXECUTE format('SELECT aimass.psi(%I, split = ''train'') FROM credit_data', col) INTO r;
  ELSE
    EXECUTE format('SELECT aimass.%s(1 / (1 + exp(-(age - 37) / 10.0)), status = ''bad'') FROM credit_data', metric) INTO r;
  END IF;
  RETURN r;
END $$;

-- Every reference figure (AUC, KS, Gini per numeric column; IV and PSI per column given the same
-- bins; log loss and Brier of a probability) is matched to 1e-9.
SELECT metric, count(*) AS figures, max(abs(pg_temp.ours(metric, column_name) - value)) < 1e-9 AS equal_to_reference
  FROM risk_reference WHERE metric <> 'woe' GROUP BY metric ORDER BY metric;
SELECT column_name, round(value::numeric, 4) AS iv FROM risk_reference WHERE metric = 'iv' ORDER BY value DESC;
-- Marital has a category only on one side, which toad leaves out of PSI; aimass counts 1 in
-- place of the empty cell. Checked against that formula written in SQL.
WITH c AS (SELECT COALESCE(marital, 'null') AS bin, count(*) FILTER (WHERE split = 'train')::float8 AS r,
                  count(*) FILTER (WHERE split = 'test')::float8 AS a FROM credit_data GROUP BY 1),
     f AS (SELECT bin, CASE WHEN r = 0 THEN 1 ELSE r END / (SELECT sum(r) FROM c) AS e,
                  CASE WHEN a = 0 THEN 1 ELSE a END / (SELECT sum(a) FROM c) AS x FROM c)
SELECT string_agg(bin, ', ' ORDER BY bin) FILTER (WHERE bin IN (SELECT bin FROM c WHERE r = 0 OR a = 0)) AS one_sided_bins,
       abs(sum((x - e) * ln(x / e)) - (SELECT aimass.psi(marital, split = 'train') FROM credit_data)) < 1e-12 AS psi_matches_formula
  FROM f;

-- The aggregates on inline scores equal evaluate() on the same rows.
SELECT model_id AS m FROM aimass.train('risk', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split') \gset
CREATE TABLE scored AS
SELECT c.*, aimass.predict_proba(:m, c) AS p, status = 'bad' AS bad, 1 + id % 3 AS month FROM credit_data c;
SELECT e ->> 'auc' = aimass.auc(p, bad)::text AS auc_equal,
       e ->> 'ks' = aimass.ks(p, bad)::text AS ks_equal,
       e ->> 'gini' = aimass.gini(p, bad)::text AS gini_equal,
       abs((e ->> 'log_loss')::float8 - aimass.log_loss(p, bad)) < 1e-12 AS log_loss_equal,
       abs((e ->> 'brier')::float8 - aimass.brier(p, bad)) < 1e-12 AS brier_equal
  FROM scored, (SELECT aimass.evaluate(:m, 'credit_test') AS e) x
 WHERE split = 'test' GROUP BY e;

-- GROUP BY, serially and under a forced parallel plan: the same figures.
CREATE TEMP TABLE serial AS
SELECT month, aimass.auc(p, bad), aimass.ks(p, bad), aimass.gini(p, bad), aimass.log_loss(p, bad),
       aimass.brier(p, bad), aimass.iv(income, bad) AS iv_income, aimass.iv(home, bad) AS iv_home,
       aimass.psi(income, split = 'train') AS psi_income, aimass.psi(home, split = 'train') AS psi_home
  FROM scored GROUP BY month;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT month, aimass.auc(p, bad) FROM scored GROUP BY month;
CREATE TEMP TABLE parallel AS
SELECT month, aimass.auc(p, bad), aimass.ks(p, bad), aimass.gini(p, bad), aimass.log_loss(p, bad),
       aimass.brier(p, bad), aimass.iv(income, bad) AS iv_income, aimass.iv(home, bad) AS iv_home,
       aimass.psi(income, split = 'train') AS psi_income, aimass.psi(home, split = 'train') AS psi_home
  FROM scored GROUP BY month;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_hashagg;
SELECT s.month, round(s.auc::numeric, 4) AS auc, round(s.ks::numeric, 4) AS ks,
       s.auc = p.auc AND s.ks = p.ks AND s.gini = p.gini AND s.iv_income = p.iv_income AND s.iv_home = p.iv_home
         AND s.psi_income = p.psi_income AND s.psi_home = p.psi_home AS exact_under_parallel,
       abs(s.log_loss - p.log_loss) < 1e-12 AND abs(s.brier - p.brier) < 1e-12 AS sums_under_parallel
  FROM serial s JOIN parallel p USING (month) ORDER BY month;

-- The numeric states are in PostgreSQL memory, so PostgreSQL accounts for them: a hash aggregate
-- whose states pass work_mem spills its later groups to disk (more than one batch), and gives the
-- figures a sorted aggregate gives (a state keeps each distinct value: 10,007 here per group). The category counts of iv/psi of text are still on the Rust
-- heap (bounded by aimass.max_memory only): PostgreSQL does not see them, and keeps one batch.
CREATE TEMP TABLE spill_input AS
  SELECT g, g / 20000 AS k, (g * 7919 % 10007) / 10007.0 AS p, g % 3 = 0 AS bad FROM generate_series(0, 99999) g;
CREATE FUNCTION pg_temp.hash_batches(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'HashAgg Batches')::int;
END $$;
SET work_mem = '64kB';
SET enable_sort = off;
SELECT pg_temp.hash_batches('SELECT k, aimass.auc(p, bad), aimass.psi(p, bad) FROM spill_input GROUP BY k') > 1
         AS hash_aggregate_spilled,
       pg_temp.hash_batches('SELECT k, aimass.iv(g::text, bad) FROM spill_input GROUP BY k') = 1
         AS rust_heap_states_are_not_seen;
CREATE TEMP TABLE hashed AS SELECT k, aimass.auc(p, bad), aimass.psi(p, bad) FROM spill_input GROUP BY k;
RESET enable_sort;
SET enable_hashagg = off;
SELECT count(*) AS groups, bool_and(h.auc = s.auc AND h.psi = s.psi) AS spilled_equals_sorted
  FROM hashed h JOIN (SELECT k, aimass.auc(p, bad), aimass.psi(p, bad) FROM spill_input GROUP BY k) s USING (k);
RESET enable_hashagg;
RESET work_mem;

-- The IV aggregate equals profile's IV (same default bins).
SELECT abs(aimass.iv(income, bad) - (SELECT iv FROM aimass.profile('credit_data', 'status') WHERE column_name = 'income')) < 1e-12
         AS iv_matches_profile
  FROM scored;

-- Curves and tables.
CREATE TEMP TABLE arrays AS SELECT array_agg(p) AS p, array_agg(bad) AS y FROM scored WHERE split = 'test';
SELECT abs(sum((fpr - prev_fpr) * (tpr + prev_tpr) / 2) - (SELECT aimass.auc(p, bad) FROM scored WHERE split = 'test')) < 1e-12
         AS roc_area_is_auc,
       abs(max(tpr - fpr) - (SELECT aimass.ks(p, bad) FROM scored WHERE split = 'test')) < 1e-12 AS roc_max_gap_is_ks,
       count(*) AS points
  FROM (SELECT fpr, tpr, lag(fpr) OVER (ORDER BY threshold DESC) AS prev_fpr, lag(tpr) OVER (ORDER BY threshold DESC) AS prev_tpr
          FROM arrays, aimass.roc_curve(arrays.p, arrays.y)) r WHERE prev_fpr IS NOT NULL;
SELECT bucket, rows, bads, round(bad_rate::numeric, 4) AS bad_rate, round(capture_rate::numeric, 4) AS capture,
       round(cum_lift::numeric, 3) AS cum_lift, round(ks::numeric, 4) AS ks
  FROM arrays, aimass.lift_table(arrays.p, arrays.y);
SELECT bucket, rows, round(mean_predicted::numeric, 4) AS mean_predicted, round(observed_rate::numeric, 4) AS observed
  FROM arrays, aimass.calibration_table(arrays.p, arrays.y, 5);

-- The states take rows in place: as window aggregates (a running AUC by month, a moving frame
-- that restarts) they give each frame's own figure (log loss to rounding: another order of sums).
SELECT bool_and(w.auc = (SELECT aimass.auc(s.p, s.bad) FROM scored s WHERE s.month <= w.month)
            AND w.psi IS NOT DISTINCT FROM (SELECT aimass.psi(s.income, s.split = 'train') FROM scored s WHERE s.month <= w.month)
            AND abs(w.ll - (SELECT aimass.log_loss(s.p, s.bad) FROM scored s WHERE s.month <= w.month)) < 1e-12) AS running_equals_prefix
  FROM (SELECT DISTINCT month, aimass.auc(p, bad) OVER m AS auc, aimass.psi(income, split = 'train') OVER m AS psi,
               aimass.log_loss(p, bad) OVER m AS ll
          FROM scored WINDOW m AS (ORDER BY month RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) w;
WITH r AS (SELECT row_number() OVER (ORDER BY id) AS n, p, bad FROM scored)
SELECT bool_and(w.auc IS NOT DISTINCT FROM (SELECT aimass.auc(r.p, r.bad) FROM r WHERE r.n BETWEEN w.n - 50 AND w.n))
         AS moving_equals_frame
  FROM (SELECT n, aimass.auc(p, bad) OVER (ORDER BY n ROWS BETWEEN 50 PRECEDING AND CURRENT ROW) AS auc FROM r) w
 WHERE w.n % 97 = 0;

-- Edge cases and bad input.
SELECT aimass.auc(p, bad) IS NULL AS empty_is_null FROM scored WHERE false;
SELECT aimass.auc(p, true) IS NULL AS one_class_is_null FROM scored;
SELECT aimass.auc(NULL::float8, bad) IS NULL AS null_scores FROM scored;
SELECT aimass.iv(NULL::text, bad) AS all_null_iv FROM scored;
SELECT aimass.log_loss(p * 2, bad) FROM scored;
SELECT * FROM aimass.lift_table(ARRAY[0.1, 0.2], ARRAY[true]);
SELECT * FROM aimass.lift_table(ARRAY[0.1, 0.2], ARRAY[true, true]);
SELECT * FROM aimass.lift_table(ARRAY[0.1, 0.2], ARRAY[true, false], 0);
DROP TABLE scored, risk_reference;
