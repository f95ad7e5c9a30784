-- aimass.profile on credit_data, every figure checked against PostgreSQL's own aggregates
-- (count, avg, stddev_samp, percentile_cont, width_bucket) computed independently here.
\set VERBOSITY verbose
CREATE TEMP TABLE prof AS SELECT * FROM aimass.profile('credit_data', 'status');
SELECT column_name, data_type, rows, nulls, round(null_fraction::numeric, 4) AS null_fraction, distinct_values,
       min, max, round(mean::numeric, 4) AS mean, outliers_iqr, zeros,
       round(iv::numeric, 4) AS iv, round(auc::numeric, 4) AS auc
  FROM prof;
SELECT column_name, quantiles, top_values FROM prof WHERE column_name IN ('income', 'home', 'debt');

-- Reference figures of one numeric column, computed by PostgreSQL.
CREATE FUNCTION pg_temp.ref_numeric(col text)
RETURNS TABLE (n bigint, nulls bigint, d bigint, lo float8, hi float8, mean float8, sd float8,
               q float8[], zeros bigint, outliers bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($f$
    WITH v AS (SELECT %1$I::float8 AS x FROM credit_data),
         q AS (SELECT percentile_cont(ARRAY[0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
                        WITHIN GROUP (ORDER BY x) AS q FROM v)
    SELECT count(*), count(*) - count(x), count(DISTINCT x), min(x), max(x), avg(x), stddev_samp(x),
           (SELECT q FROM q), count(*) FILTER (WHERE x = 0),
           count(*) FILTER (WHERE x < (SELECT q[3] - 1.5 * (q[5] - q[3]) FROM q)
                               OR x > (SELECT q[5] + 1.5 * (q[5] - q[3]) FROM q))
      FROM v$f$, col);
END $$;

-- Univariate AUC (Mann–Whitney with average ranks for ties) and IV (bins at the distinct deciles,
-- width_bucket, a NULL bin, 1 in place of an empty cell) of a numeric column.
CREATE FUNCTION pg_temp.ref_auc_iv(col text, OUT auc float8, OUT iv float8)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($f$
    WITH v AS (SELECT %1$I::float8 AS x, (status = 'bad')::int AS y FROM credit_data),
         r AS (SELECT y, rank() OVER (ORDER BY x) + (count(*) OVER (PARTITION BY x) - 1) / 2.0 AS rk
                 FROM v WHERE x IS NOT NULL)
    SELECT (sum(rk) FILTER (WHERE y = 1) - sum(y) * (sum(y) + 1) / 2.0) / (sum(y) * (count(*) - sum(y)))
      FROM r$f$, col) INTO auc;
  EXECUTE format($f$
    WITH v AS (SELECT %1$I::float8 AS x, (status = 'bad')::int AS y FROM credit_data),
         e AS (SELECT ARRAY(SELECT DISTINCT unnest(percentile_cont(ARRAY[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
                                                    WITHIN GROUP (ORDER BY x)) ORDER BY 1) AS edges FROM v),
         b AS (SELECT CASE WHEN x IS NULL THEN -1 ELSE width_bucket(x, (SELECT edges FROM e)) END AS bin,
                      sum(y)::float8 AS bad, (count(*) - sum(y))::float8 AS good
                 FROM v GROUP BY 1),
         t AS (SELECT sum(bad) AS tb, sum(good) AS tg FROM b),
         a AS (SELECT CASE WHEN bad = 0 THEN 1 ELSE bad END AS bad,
                      CASE WHEN good = 0 THEN 1 ELSE good END AS good FROM b)
    SELECT sum((bad / tb - good / tg) * ln((bad / tb) / (good / tg))) FROM a, t$f$, col) INTO iv;
END $$;

-- Every numeric column: all figures agree (means and deviations to 1e-12 relative).
SELECT p.column_name,
       p.rows = r.n AND p.nulls = r.nulls AND p.distinct_values = r.d AND p.min = r.lo AND p.max = r.hi
         AND abs(p.mean - r.mean) <= 1e-12 * abs(r.mean) AND abs(p.stddev - r.sd) <= 1e-12 * r.sd
         AND ARRAY(SELECT (p.quantiles ->> k)::float8 FROM unnest(ARRAY['p1','p5','p25','p50','p75','p95','p99']) k)
             = r.q
         AND p.zeros = r.zeros AND p.outliers_iqr = r.outliers AS figures_match,
       abs(p.auc - a.auc) < 1e-12 AS auc_matches,
       abs(p.iv - a.iv) < 1e-12 AS iv_matches
  FROM prof p, pg_temp.ref_numeric(p.column_name) r, pg_temp.ref_auc_iv(p.column_name) a
 WHERE p.data_type IN ('integer', 'double precision')
 ORDER BY 1;

-- Text columns: NULLs, distinct values and top values from GROUP BY; IV by category (NULL a
-- category); AUC scoring each row by its category's bad rate.
WITH v AS (SELECT home AS x, (status = 'bad')::int AS y FROM credit_data),
     g AS (SELECT x, count(*) AS n, sum(y)::float8 AS bad, (count(*) - sum(y))::float8 AS good FROM v GROUP BY x),
     t AS (SELECT sum(bad) AS tb, sum(good) AS tg FROM g),
     a AS (SELECT CASE WHEN bad = 0 THEN 1 ELSE bad END AS bad, CASE WHEN good = 0 THEN 1 ELSE good END AS good FROM g),
     s AS (SELECT v.y, g.bad / g.n AS score FROM v JOIN g ON g.x IS NOT DISTINCT FROM v.x),
     r AS (SELECT y, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS rk FROM s)
SELECT p.nulls = (SELECT n FROM g WHERE x IS NULL) AS nulls_match,
       p.distinct_values = (SELECT count(*) FROM g WHERE x IS NOT NULL) AS distinct_matches,
       p.top_values = (SELECT jsonb_agg(jsonb_build_object('value', x, 'count', n) ORDER BY n DESC, x)
                         FROM g WHERE x IS NOT NULL) AS top_values_match,
       abs(p.iv - (SELECT sum((bad / tb - good / tg) * ln((bad / tb) / (good / tg))) FROM a, t)) < 1e-12 AS iv_matches,
       abs(p.auc - (SELECT (sum(rk) FILTER (WHERE y = 1) - sum(y) * (sum(y) + 1) / 2.0) / (sum(y) * (count(*) - sum(y)))
                      FROM r)) < 1e-12 AS auc_matches
  FROM prof p WHERE p.column_name = 'home';

-- Without a target there is no IV or AUC; other types are profiled through their text form.
CREATE TABLE profile_types AS
SELECT id, (id % 3 = 0) AS flag, date '2024-01-01' + (id % 40) AS day, NULLIF(home, 'owner') AS home
  FROM credit_data;
SELECT column_name, data_type, rows, nulls, distinct_values, min, max, round(mean::numeric, 6) AS mean, iv, auc,
       top_values -> 0 AS top
  FROM aimass.profile('profile_types');
-- NaN and ±Infinity are counted apart from NULLs and left out of the statistics.
CREATE TABLE profile_nan (x float8, n numeric);
INSERT INTO profile_nan VALUES (1, 1), (2, 'NaN'), ('NaN', 2), ('Infinity', NULL), ('-Infinity', 3), (NULL, 4);
SELECT column_name, rows, nulls, non_finite, distinct_values, min, max, mean FROM aimass.profile('profile_nan');
DROP TABLE profile_nan;
-- A non-binary target, an unknown target.
SELECT count(*) FROM aimass.profile('credit_data', 'age');
SELECT count(*) FROM aimass.profile('credit_data', 'nope');
DROP TABLE profile_types;
