-- Inline scoring throughput over bench_credit's 1M rows (benches/generate.sql): a logistic model
-- of 10 numeric features against the same model written by hand in plain SQL (generated from
-- aimass.model_features and aimass.coefficients: fill, clip, standardize, weights, sigmoid), on
-- one backend and with 2 parallel workers; and a 100-tree gradient boosting model. Both sums must
-- agree: the plain-SQL formula is the model. Each query runs twice; keep the second.
\timing on
\pset footer off
SET aimass.progress_interval = -1;
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_score_ref;
CREATE TABLE bench_score_ref AS SELECT * FROM bench_credit WHERE id <= 100000;
RESET client_min_messages;
SELECT model_id AS m FROM aimass.train('bench_score', 'bench_score_ref', 'bad', deploy => 'always',
  features => ARRAY['age', 'income', 'debt', 'assets', 'seniority', 'amount', 'term', 'rate', 'utilization', 'dti']) \gset
SELECT count(*) - 1 AS inputs FROM aimass.coefficients(:m);
-- The model as a SQL expression.
WITH f AS (
  SELECT position, statistics AS s,
         CASE WHEN statistics -> 'clip' = 'null'::jsonb
              THEN format('coalesce(%I, %s)', column_name, statistics ->> 'fill')
              ELSE format('least(greatest(coalesce(%I, %s), %s), %s)', column_name, statistics ->> 'fill',
                          statistics #>> '{clip,0}', statistics #>> '{clip,1}') END AS x
    FROM aimass.model_features(:m)),
terms AS (
  SELECT c.position, c.coefficient,
         CASE WHEN f.s ->> 'scale' = 'none' THEN f.x
              ELSE format('(%s - %s) / %s', f.x, f.s ->> 'center', f.s ->> 'scale_by') END AS expr
    FROM aimass.coefficients(:m) c LEFT JOIN f USING (position))
SELECT format('1 / (1 + exp(-(%s)))',
              string_agg(CASE WHEN position = 0 THEN coefficient::text ELSE format('%s * %s', coefficient, expr) END,
                         ' + ' ORDER BY position)) AS formula
  FROM terms \gset
\echo :formula
\echo '-- floor: the logistic formula in plain SQL'
SELECT round(sum(:formula)::numeric, 4) AS sum_p FROM bench_credit;
SELECT round(sum(:formula)::numeric, 4) AS sum_p FROM bench_credit;
\echo '-- aimass.predict_proba(project, row)'
SELECT round(sum(aimass.predict_proba('bench_score', b))::numeric, 4) AS sum_p FROM bench_credit b;
SELECT round(sum(aimass.predict_proba('bench_score', b))::numeric, 4) AS sum_p FROM bench_credit b;
\echo '-- aimass.predict_proba(model_id, row)'
SELECT round(sum(aimass.predict_proba(:m, b))::numeric, 4) AS sum_p FROM bench_credit b;
SELECT round(sum(aimass.predict_proba(:m, b))::numeric, 4) AS sum_p FROM bench_credit b;
\echo '-- with 2 parallel workers: the plan, then both sides'
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) SELECT sum(aimass.predict_proba('bench_score', b)) FROM bench_credit b;
SELECT round(sum(:formula)::numeric, 4) AS sum_p FROM bench_credit;
SELECT round(sum(:formula)::numeric, 4) AS sum_p FROM bench_credit;
SELECT round(sum(aimass.predict_proba('bench_score', b))::numeric, 4) AS sum_p FROM bench_credit b;
SELECT round(sum(aimass.predict_proba('bench_score', b))::numeric, 4) AS sum_p FROM bench_credit b;
SET max_parallel_workers_per_gather = 0;
\echo '-- gradient boosting, 100 trees, all 28 features'
SELECT model_id AS g FROM aimass.train('bench_score_gb', 'bench_score_ref', 'bad', algorithm => 'gradient_boosting',
  exclude => ARRAY['id', 'applied_at'], deploy => 'always') \gset
SELECT round(sum(aimass.predict_proba('bench_score_gb', b))::numeric, 4) AS sum_p FROM bench_credit b;
SELECT round(sum(aimass.predict_proba('bench_score_gb', b))::numeric, 4) AS sum_p FROM bench_credit b;
