-- aimass.clean and aimass.apply_cleaning on credit_data: the report's counts checked against
-- the data, the destination's values against the fitted rules, the source never modified.
\set VERBOSITY verbose
CREATE TEMP TABLE source_sum AS SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS sum FROM credit_data t;

CREATE TEMP TABLE r1 AS
SELECT aimass.clean('credit_data', 'credit_clean', '{
  "missing": "median",
  "outliers": {"method": "iqr", "k": 3, "action": "clip"},
  "columns": {
    "id": {"missing": "none", "outliers": "none"},
    "home": {"missing": "mode", "trim": true, "case": "upper", "map": {"IGNORE": null}, "missing_indicator": true},
    "job": {"missing": "constant", "fill_value": "unknown"},
    "marital": {"missing": "drop_row"},
    "split": {"drop": true}
  }}') AS report;
SELECT report - 'columns' AS summary FROM r1;
SELECT key AS column_name, value FROM r1, jsonb_each(report -> 'columns') WHERE key IN ('income', 'home', 'debt') ORDER BY 1;

-- Rows and dropped rows.
SELECT (report ->> 'rows_out')::int = (SELECT count(*) FROM credit_clean) AS rows_out_match,
       (report ->> 'rows_in')::int = (SELECT count(*) FROM credit_data) AS rows_in_match,
       (report #>> '{rows_removed,missing,marital}')::int = (SELECT count(*) FROM credit_data WHERE marital IS NULL)
         AS dropped_match
  FROM r1;
-- Income: fences are Q1 − 3·IQR and Q3 + 3·IQR by percentile_cont; counts of NULLs and outliers
-- in the source; every written value inside the fences; NULLs filled with the median of the
-- clipped values (as PostgreSQL computes it).
WITH q AS (SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY income) AS q1,
                  percentile_cont(0.75) WITHIN GROUP (ORDER BY income) AS q3 FROM credit_data),
     f AS (SELECT q1 - 3 * (q3 - q1) AS lo, q3 + 3 * (q3 - q1) AS hi FROM q),
     c AS (SELECT report -> 'columns' -> 'income' AS c FROM r1)
SELECT (c #>> '{outlier_rule,fence,0}')::float8 = lo AND (c #>> '{outlier_rule,fence,1}')::float8 = hi AS fences_match,
       (c ->> 'nulls')::int = (SELECT count(*) FROM credit_data WHERE income IS NULL) AS nulls_match,
       (c ->> 'outliers')::int = (SELECT count(*) FROM credit_data WHERE income < lo OR income > hi) AS outliers_match,
       (c ->> 'clipped')::int = (SELECT count(*) FROM credit_data WHERE marital IS NOT NULL AND (income < lo OR income > hi))
         AS clipped_match,
       (SELECT count(*) FROM credit_clean WHERE income IS NULL OR income < lo OR income > hi) = 0 AS inside_fences,
       (c #>> '{missing_rule,fill}')::float8 = (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY least(greatest(income, lo), hi))
                                                  FROM credit_data WHERE income IS NOT NULL) AS fill_is_clipped_median,
       (SELECT bool_and(n.income = (c #>> '{missing_rule,fill}')::float8)
          FROM credit_clean n JOIN credit_data o USING (id) WHERE o.income IS NULL) AS nulls_filled
  FROM f, c;
-- Home: trimmed, upper-cased, 'ignore' mapped to NULL, then the mode; the indicator marks
-- source NULLs.
SELECT (report #>> '{columns,home,recoded}')::int
         = (SELECT count(*) FROM credit_data WHERE marital IS NOT NULL AND home IS DISTINCT FROM upper(btrim(home))
                                                 OR marital IS NOT NULL AND home = 'ignore') AS recoded_match,
       (report #>> '{columns,home,imputed}')::int
         = (SELECT count(*) FROM credit_data WHERE marital IS NOT NULL AND (home IS NULL OR home = 'ignore')) AS imputed_match,
       (SELECT array_agg(DISTINCT home ORDER BY home) FROM credit_clean) AS home_values,
       (SELECT count(*) FILTER (WHERE home_missing) FROM credit_clean)
         = (SELECT count(*) FROM credit_data WHERE home IS NULL AND marital IS NOT NULL) AS indicator_match
  FROM r1;
-- Types are kept; integer columns stay integer; split is gone.
SELECT column_name, data_type FROM information_schema.columns
 WHERE table_name = 'credit_clean' ORDER BY ordinal_position;

-- Duplicates by key, keeping the latest version; constant and mostly-missing columns dropped;
-- numeric-looking text converted; outliers flagged, nulled or dropped.
CREATE TABLE credit_versions AS
SELECT id, timestamp '2024-01-01' AS updated_at, income, income::text AS income_text, 1 AS const,
       CASE WHEN id % 10 = 0 THEN 1 END AS sparse, debt, assets
  FROM credit_data
UNION ALL
SELECT id, timestamp '2024-02-01', income * 2, (income * 2)::text, 1, NULL, debt, assets FROM credit_data WHERE id % 100 = 0;
SELECT aimass.clean('credit_versions', 'credit_versions_clean', '{
  "duplicates": {"key": ["id"], "keep": "last", "order_by": "updated_at"},
  "drop_constant": true, "max_missing": 0.5,
  "columns": {"income_text": {"convert_numeric": true},
              "debt": {"outliers": {"method": "zscore", "k": 3, "action": "flag"}},
              "assets": {"outliers": {"method": "mad", "k": 3.5, "action": "null"}, "missing": "mean"},
              "income": {"outliers": {"method": "iqr", "action": "drop_row"}}}}') - 'columns' AS report;
SELECT count(*) = count(DISTINCT id) AS one_row_per_id,
       NOT EXISTS (SELECT 1 FROM credit_versions_clean WHERE id % 100 = 0 AND updated_at = '2024-01-01')
         AS latest_kept,
       count(*) FILTER (WHERE debt_outlier)
         = (SELECT count(*) FROM credit_versions_clean c, (SELECT avg(debt) m, stddev_samp(debt) s FROM credit_versions) z
             WHERE abs(c.debt - z.m) > 3 * z.s) AS flags_match,
       count(*) FILTER (WHERE assets IS NULL) AS assets_nulls_left,
       (SELECT count(*) FROM credit_versions_clean WHERE id % 100 = 0) AS latest_versions
  FROM credit_versions_clean;
SELECT column_name, data_type FROM information_schema.columns
 WHERE table_name = 'credit_versions_clean' ORDER BY ordinal_position;

-- The same recipe on new data: fences and fill values are the stored ones, not refitted.
CREATE TABLE credit_new AS SELECT id, status, seniority, '  ' || home || ' ' AS home, time, age, marital, records, job,
       expenses, income * 10 AS income, assets, debt, amount, price, split
  FROM credit_data WHERE split = 'test';
SELECT aimass.apply_cleaning((SELECT (report ->> 'recipe_id')::bigint FROM r1), 'credit_new', 'credit_new_clean')
       #> '{columns,income}' AS income_report;
SELECT max(income) = (SELECT (report #>> '{columns,income,outlier_rule,fence,1}')::float8 FROM r1) AS clipped_to_stored_fence,
       array_agg(DISTINCT home ORDER BY home) AS home_values
  FROM credit_new_clean;

-- profile → clean → train → evaluate: a model trained on the cleaned table, evaluated on it.
SELECT (metrics #>> '{test,auc}')::float8 > 0.82 AS good_auc
  FROM aimass.train('clean_credit', 'credit_clean', 'status', exclude => ARRAY['id'], deploy => 'always');
SELECT (aimass.evaluate('clean_credit', 'credit_clean') ->> 'auc')::float8 > 0.82 AS good_auc_on_all_rows,
       (aimass.evaluate('clean_credit', 'credit_clean') ->> 'rows')::int = (SELECT count(*) FROM credit_clean) AS all_rows;
-- An indicator clashing with an existing column.
SELECT aimass.clean('credit_clean', 'x', '{"columns": {"home": {"missing_indicator": true}}}');

-- Bad input: each a clear ERROR, the source unchanged and nothing left behind.
SELECT aimass.clean('credit_data', 'credit_clean');
SELECT aimass.clean('credit_data', 'credit_data', '{"replace": true}');
SELECT aimass.clean('credit_data', 'x', '{"mising": "median"}');
SELECT aimass.clean('credit_data', 'x', '{"columns": {"Income": {"missing": "median"}}}');
SELECT aimass.clean('credit_data', 'x', '{"columns": {"home": {"missing": "median"}}}');
SELECT aimass.clean('credit_data', 'x', '{"missing": 7}');
SELECT aimass.clean('credit_data', 'x', '{"outliers": {"method": "iqr", "k": "big"}}');
SELECT aimass.clean('credit_data', 'x', '{"duplicates": {"key": "id"}}');
SELECT aimass.clean('credit_data', 'x', '{"columns": {"home": {"convert_numeric": true}}}');
SELECT aimass.clean('credit_data', 'x', '[1, 2]');
SELECT aimass.clean('credit_data', 'a.b.c');
SELECT aimass.clean('credit_data', 'credit_test');
CREATE TABLE empty_credit (LIKE credit_data);
SELECT aimass.clean('empty_credit', 'x');
SELECT aimass.apply_cleaning(999, 'credit_data', 'x');
SELECT aimass.apply_cleaning((SELECT (report ->> 'recipe_id')::bigint FROM r1), 'credit_versions', 'x');
SELECT to_regclass('x') IS NULL AS nothing_left,
       (SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM credit_data t) = (SELECT sum FROM source_sum) AS source_unchanged;
-- replace: true overwrites a table it made before.
SELECT (aimass.clean('credit_data', 'credit_clean', '{"replace": true}') ->> 'rows_out')::int AS rows_out;
DROP TABLE credit_clean, credit_versions, credit_versions_clean, credit_new, credit_new_clean, empty_credit;
