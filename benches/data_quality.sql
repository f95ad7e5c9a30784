-- Data-quality benchmark on bench_credit (benches/generate.sql): aimass.profile and aimass.clean
-- against the same work written by hand in plain SQL. Each query runs twice; keep the second.
\timing on
\pset footer off
SET max_parallel_workers_per_gather = 0;
\echo '-- aimass.profile, with target (IV and AUC per column)'
SELECT count(*) FROM aimass.profile('bench_credit', 'bad');
SELECT count(*) FROM aimass.profile('bench_credit', 'bad');
\echo '-- aimass.profile, without target'
SELECT count(*) FROM aimass.profile('bench_credit');
SELECT count(*) FROM aimass.profile('bench_credit');
\echo '-- plain SQL: count, NULLs, distinct, min, max, avg, stddev_samp, 7 percentile_cont per numeric column; count, NULLs, distinct per other column (no top values, IQR outliers, IV or AUC)'
SELECT 'SELECT ' || string_agg(
         CASE WHEN data_type IN ('integer', 'double precision', 'bigint', 'numeric')
              THEN format('count(%1$I), count(DISTINCT %1$I), min(%1$I), max(%1$I), avg(%1$I), stddev_samp(%1$I), '
                          'percentile_cont(ARRAY[0.01,0.05,0.25,0.5,0.75,0.95,0.99]) WITHIN GROUP (ORDER BY %1$I)', column_name)
              ELSE format('count(%1$I), count(DISTINCT %1$I)', column_name) END, ', ')
       || ', count(*) FROM bench_credit' AS q
  FROM information_schema.columns WHERE table_name = 'bench_credit' \gset
SELECT length(md5(s::text)) AS plain_sql_profile FROM (:q) s;
SELECT length(md5(s::text)) AS plain_sql_profile FROM (:q) s;
\echo '-- aimass.clean: median imputation, 3-IQR clipping of every numeric column, mode for text, duplicates by id'
SELECT aimass.clean('bench_credit', 'bench_credit_clean', '{"missing": "median", "outliers": {"method": "iqr", "k": 3, "action": "clip"}, "duplicates": {"key": ["id"]}, "columns": {"home": {"missing": "mode"}, "id": {"missing": "none", "outliers": "none"}}, "replace": true}') ->> 'rows_out' AS rows_out;
SELECT aimass.clean('bench_credit', 'bench_credit_clean', '{"missing": "median", "outliers": {"method": "iqr", "k": 3, "action": "clip"}, "duplicates": {"key": ["id"]}, "columns": {"home": {"missing": "mode"}, "id": {"missing": "none", "outliers": "none"}}, "replace": true}') ->> 'rows_out' AS rows_out;
\echo '-- plain SQL: CREATE TABLE AS with the same fences and fills computed first (two passes, no report)'
DROP TABLE IF EXISTS bench_credit_sql;
SELECT 'WITH s AS (SELECT ' || string_agg(format(
           'percentile_cont(0.25) WITHIN GROUP (ORDER BY %1$I) AS %2$I, percentile_cont(0.75) WITHIN GROUP (ORDER BY %1$I) AS %3$I',
           column_name, column_name || '_q1', column_name || '_q3'), ', ')
       || ' FROM bench_credit) SELECT * FROM s' AS fq
  FROM information_schema.columns WHERE table_name = 'bench_credit' AND data_type IN ('integer', 'double precision') AND column_name <> 'id' \gset
CREATE TEMP TABLE fences AS :fq;
SELECT 'CREATE TABLE bench_credit_sql AS SELECT DISTINCT ON (id) ' || string_agg(
         CASE WHEN data_type IN ('integer', 'double precision') AND column_name <> 'id'
              THEN format('COALESCE(LEAST(GREATEST(t.%1$I, f.%2$I - 3 * (f.%3$I - f.%2$I)), f.%3$I + 3 * (f.%3$I - f.%2$I)), '
                          '(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY %1$I) FROM bench_credit))::%4$s AS %1$I',
                          column_name, column_name || '_q1', column_name || '_q3', data_type)
              ELSE format('t.%1$I', column_name) END, ', ' ORDER BY ordinal_position)
       || ' FROM bench_credit t, fences f ORDER BY id' AS cq
  FROM information_schema.columns WHERE table_name = 'bench_credit' \gset
:cq;
DROP TABLE bench_credit_sql;
:cq;
DROP TABLE bench_credit_sql, bench_credit_clean;
