-- Scoring inline by project, by model id, on rows, jsonb and float8[].
\i tests/regress/fixtures/credit_models.sql
SELECT id, round(aimass.predict_proba('credit', c)::numeric, 6) AS p,
       aimass.predict('credit', c) AS class
  FROM credit_data c WHERE id IN (1, 2, 3) ORDER BY id;
-- By model id, jsonb and row agree.
SELECT aimass.predict_proba(1, c) = aimass.predict_proba('credit', c) AS by_id_equals_by_project,
       aimass.predict_proba('credit', to_jsonb(c)) = aimass.predict_proba('credit', c) AS jsonb_equals_row
  FROM credit_data c WHERE id = 1;
-- A row type with the features in another order, with other numeric types and extra columns.
SELECT aimass.predict_proba('credit', r) = aimass.predict_proba('credit', c) AS other_row_type_same_score
  FROM credit_data c,
       LATERAL (SELECT c.price::numeric AS price, c.amount::bigint AS amount, c.home::varchar AS home,
                       c.debt, c.assets, c.income::real::float8 AS income, 'x' AS extra, c.expenses::smallint AS expenses,
                       c.job, c.records, c.marital, c.age, c.time, c.seniority) r
 WHERE c.id = 7;
-- Unseen categories and NULLs are scored (unseen and missing buckets, median fill).
SELECT round(aimass.predict_proba('credit', '{"seniority": null, "home": "castle", "time": 60, "age": 30,
         "marital": null, "records": "no", "job": "fixed", "expenses": 50, "income": null,
         "assets": 0, "debt": 0, "amount": 1000, "price": 1200}'::jsonb)::numeric, 4) BETWEEN 0 AND 1 AS scored;
-- float8[] in feature order for a numeric-only model.
SELECT model_id FROM aimass.train('numeric_only', 'credit_data', 'status',
                                  features => ARRAY['age', 'income', 'seniority'], split => 'column:split');
SELECT aimass.predict_proba('numeric_only', ARRAY[30, 120, 5]::float8[])
       = aimass.predict_proba('numeric_only', '{"age": 30, "income": 120, "seniority": 5}'::jsonb) AS array_equals_jsonb;
SELECT aimass.predict('numeric_only', ARRAY[30, NULL, 5]::float8[]) IN (0, 1) AS null_in_array_scored;
-- Regression predict gives a value.
SELECT aimass.predict('price', c) > 0 AS positive_price FROM credit_data c WHERE id = 1;
-- NULL row gives NULL (functions are strict).
SELECT aimass.predict_proba('credit', NULL::credit_data) IS NULL AS null_row_null_score;
-- Volatility and parallel safety as the SQL reference says.
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args, p.provolatile, p.proparallel
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'aimass' ORDER BY 1, 2;
-- The plan may use parallel workers.
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT sum(aimass.predict_proba('lending', l)) FROM lending_club l;
SELECT round(sum(aimass.predict_proba('lending', l))::numeric, 6) = (
         SELECT round(sum(p)::numeric, 6) FROM (SELECT aimass.predict_proba('lending', l) AS p FROM lending_club l OFFSET 0) s
       ) AS parallel_sum_matches
  FROM lending_club l;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
-- Scoring caches the mapping of a row type to the model's features; when the table's columns
-- change, the mapping follows.
CREATE TABLE shifting AS SELECT * FROM credit_data WHERE id <= 3;
SELECT id, round(aimass.predict_proba('credit', s)::numeric, 6) AS p FROM shifting s ORDER BY id;
ALTER TABLE shifting RENAME COLUMN income TO earnings;
SELECT aimass.predict_proba('credit', s) FROM shifting s;
ALTER TABLE shifting RENAME COLUMN earnings TO income;
ALTER TABLE shifting ALTER COLUMN income TYPE numeric, DROP COLUMN seniority, ADD COLUMN seniority int;
UPDATE shifting s SET seniority = c.seniority FROM credit_data c WHERE c.id = s.id;
SELECT id, round(aimass.predict_proba('credit', s)::numeric, 6) AS p FROM shifting s ORDER BY id;
DROP TABLE shifting;
-- The coefficients of a linear model, by input (after preprocessing).
SELECT position, input, round(coefficient::numeric, 6) AS coefficient
  FROM aimass.coefficients((SELECT model_id FROM aimass.deployments d JOIN aimass.projects p ON p.id = d.project_id
                             WHERE p.name = 'credit' ORDER BY d.id DESC LIMIT 1))
 ORDER BY position LIMIT 5;
