-- Every bad input is an ERROR with a clear message and a fitting SQLSTATE, and leaves nothing
-- behind. VERBOSITY verbose shows the SQLSTATE, DETAIL and HINT.
\i tests/regress/fixtures/credit_models.sql
SELECT model_id AS numeric_only FROM aimass.train('numeric_only', 'credit_data', 'status',
                                  features => ARRAY['age', 'income', 'seniority'], split => 'column:split');
\set VERBOSITY verbose
SELECT count(*) AS models_before FROM aimass.models \gset
-- unknown relation (42P01) and column (42703)
SELECT * FROM aimass.train('bad', 'no_such_table', 'status');
SELECT * FROM aimass.train('bad', 'credit_data', 'no_such_column');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', features => ARRAY['age', 'agee']);
SELECT * FROM aimass.train('bad', 'credit_data', 'status', exclude => ARRAY['nope']);
-- target with one class, NULLs only, more than two classes, ambiguous text values
CREATE TEMP TABLE one_class AS SELECT age, 'bad'::text AS status FROM credit_data LIMIT 50;
SELECT * FROM aimass.train('bad', 'one_class', 'status');
CREATE TEMP TABLE null_target AS SELECT age, NULL::text AS status FROM credit_data LIMIT 50;
SELECT * FROM aimass.train('bad', 'null_target', 'status');
SELECT * FROM aimass.train('bad', 'credit_data', 'home', exclude => ARRAY['id']);
CREATE TEMP TABLE ab AS SELECT age, CASE WHEN status = 'bad' THEN 'A' ELSE 'B' END AS grade FROM credit_data;
SELECT * FROM aimass.train('bad', 'ab', 'grade');
SELECT * FROM aimass.train('bad', 'ab', 'grade', positive => 'C');
-- empty table
CREATE TEMP TABLE empty_t (age int, status text);
SELECT * FROM aimass.train('bad', 'empty_t', 'status');
-- no usable feature columns; unsupported column types
CREATE TEMP TABLE only_dates AS SELECT now()::date + id AS d, status FROM credit_data;
SELECT * FROM aimass.train('bad', 'only_dates', 'status');
SELECT * FROM aimass.train('bad', 'only_dates', 'status', features => ARRAY['d']);
SELECT * FROM aimass.train('bad', 'credit_data', 'status', features => ARRAY['status']);
-- NaN / Infinity in features
CREATE TEMP TABLE with_nan AS SELECT CASE WHEN id = 5 THEN 'NaN'::float8 ELSE age END AS age, status FROM credit_data;
SELECT * FROM aimass.train('bad', 'with_nan', 'status');
CREATE TEMP TABLE with_inf AS SELECT CASE WHEN id = 5 THEN '-Infinity'::float8 ELSE income END AS income, status FROM credit_data;
SELECT * FROM aimass.train('bad', 'with_inf', 'status');
-- unknown algorithm, hyperparameter names and values, preprocess options, task, split, deploy
SELECT * FROM aimass.train('bad', 'credit_data', 'status', algorithm => 'xgboost');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', hyperparams => '{"alpah": 1}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', hyperparams => '{"alpha": -1}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', hyperparams => '{"max_iterations": "many"}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', hyperparams => '[1, 2]');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', preprocess => '{"impute": "magic"}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', algorithm => 'linear');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', task => 'multiclass');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', split => 'kfold');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', split => 'column:age');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', deploy => 'sometimes');
-- test_size negative, zero, above 1
SELECT * FROM aimass.train('bad', 'credit_data', 'status', test_size => -0.1);
SELECT * FROM aimass.train('bad', 'credit_data', 'status', test_size => 1.5);
SELECT * FROM aimass.train('bad', 'credit_data', 'status', test_size => 0);
-- first training of a project needs relation and target
SELECT * FROM aimass.train('bad');
SELECT * FROM aimass.train('', 'credit_data', 'status');
-- a regression project cannot take a binary model
SELECT * FROM aimass.train('price', 'credit_data', 'status', exclude => ARRAY['id']);
-- nothing was written by any of the above
SELECT count(*) = :models_before AS no_model_written FROM aimass.models;
SELECT count(*) AS bad_projects FROM aimass.projects WHERE name = 'bad';

-- scoring: project without deployment, unknown project and model, rows missing features,
-- wrong types, non-composite values, bad jsonb and arrays, predict_proba on regression
SELECT model_id FROM aimass.train('undeployed', 'credit_data', 'status', features => ARRAY['age'], deploy => 'never');
SELECT aimass.predict_proba('undeployed', c) FROM credit_data c LIMIT 1;
SELECT aimass.predict_proba('nobody', c) FROM credit_data c LIMIT 1;
SELECT aimass.predict_proba(999999, c) FROM credit_data c LIMIT 1;
SELECT aimass.predict_proba('credit', r) FROM (SELECT age, income FROM credit_data LIMIT 1) r;
SELECT aimass.predict_proba('credit', r) FROM (SELECT c.*, 'x'::text AS extra FROM credit_data c LIMIT 1) s,
       LATERAL (SELECT s.seniority, s.home, s.time, s.age::text AS age, s.marital, s.records, s.job, s.expenses,
                       s.income, s.assets, s.debt, s.amount, s.price) r;
SELECT aimass.predict_proba('credit', 42);
SELECT aimass.predict_proba('credit', '{"age": 30}'::jsonb);
SELECT aimass.predict_proba('numeric_only', '{"age": "thirty", "income": 1, "seniority": 1}'::jsonb);
SELECT aimass.predict_proba('numeric_only', '{"age": [1], "income": 1, "seniority": 1}'::jsonb);
SELECT aimass.predict_proba('numeric_only', '[1, 2, 3]'::jsonb);
SELECT aimass.predict_proba('numeric_only', ARRAY[1, 2]::float8[]);
SELECT aimass.predict_proba('numeric_only', ARRAY['NaN', 1, 2]::float8[]);
SELECT aimass.predict_proba('credit', ARRAY[1, 2]::float8[]);
SELECT aimass.predict_proba('price', c) FROM credit_data c LIMIT 1;
-- deploy and evaluate
SELECT * FROM aimass.deploy('nobody');
SELECT * FROM aimass.deploy('credit', 'newest');
SELECT * FROM aimass.deploy(999999);
SELECT * FROM aimass.deploy('undeployed', 'rollback');
SELECT aimass.evaluate('undeployed', 'credit_test');
SELECT aimass.evaluate('credit', 'one_class', threshold => 2);
CREATE TEMP TABLE credit_unlabelled AS SELECT * FROM credit_test;
UPDATE credit_unlabelled SET status = NULL;
SELECT aimass.evaluate('credit', 'credit_unlabelled');
SELECT aimass.evaluate('credit', 'null_target');
-- a corrupted artifact is an error, not a crash (the model was never loaded in this session)
SELECT model_id AS corrupt_id FROM aimass.train('corrupt', 'credit_data', 'status', features => ARRAY['age'], deploy => 'never') \gset
UPDATE aimass.models SET artifact = overlay(artifact placing '\x00'::bytea from 30) WHERE id = :corrupt_id;
SELECT aimass.predict_proba(:corrupt_id, '{"age": 30}'::jsonb);
UPDATE aimass.models SET artifact = '\x504b0304'::bytea WHERE id = :corrupt_id;
SELECT aimass.predict_proba(:corrupt_id, '{"age": 30}'::jsonb);
SELECT 'still alive' AS backend;
-- The aimass. prefix is reserved: a misspelt setting is an error, not a placeholder.
SET aimass.max_memroy = '1GB';
\set VERBOSITY default
