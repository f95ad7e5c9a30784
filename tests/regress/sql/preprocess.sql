-- The preprocessing recipe carried by the model: every imputer, scaler and encoder, and scoring
-- row by row (predict_proba on a row and on jsonb) reproducing the batch predictions exactly,
-- including rows with unseen categories and NULLs everywhere.
\set VERBOSITY verbose
CREATE TABLE credit_score AS SELECT * FROM credit_data;
INSERT INTO credit_score (id, status, seniority, home, time, age, marital, records, job, expenses, income, assets, debt, amount, price, split)
VALUES (100001, 'good', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'test'),
       (100002, 'bad', 3, 'castle', 36, 40, 'polyamorous', 'maybe', 'astronaut', 60, 1e6, -5, 1e9, 900, 1100, 'test'),
       (100003, 'good', 0, 'owner', 60, 25, 'single', 'no', 'fixed', 45, 0, 0, 0, 100, 100, 'test');

CREATE TEMP TABLE configs (name text, preprocess jsonb);
INSERT INTO configs VALUES
  ('default',      '{}'),
  ('mean_minmax',  '{"impute": "mean", "scale": "min_max"}'),
  ('robust_clip',  '{"impute": "median", "scale": "robust", "clip": [0.01, 0.99]}'),
  ('zero_none',    '{"impute": "zero", "scale": "none", "max_categories": 3}'),
  ('mode_const',   '{"impute": "mode", "columns": {"income": {"impute": "constant", "fill_value": 100},
                                                  "home": {"impute": "constant", "fill_value": "owner"}}}'),
  ('ordinal',      '{"encode": "ordinal"}'),
  ('target',       '{"encode": "target", "smoothing": 20}'),
  ('woe',          '{"encode": "woe", "columns": {"job": {"impute": "mode"}}}'),
  ('hashing',      '{"encode": "hashing", "buckets": 16}');

CREATE TEMP TABLE trained AS
SELECT c.name, t.model_id, (t.metrics #>> '{test,auc}')::float8 AS auc
  FROM configs c,
       LATERAL aimass.train('pp_' || c.name, 'credit_data', 'status', exclude => ARRAY['id'],
                            split => 'column:split', preprocess => c.preprocess, deploy => 'never') t;

-- Row by row equals batch, to the last bit; every score finite; test AUC in a sane range.
SELECT t.name, t.auc > 0.80 AS auc_ok,
       (SELECT max(abs(b.score - aimass.predict_proba(t.model_id, s)))
          FROM aimass.predict_batch(t.model_id, 'credit_score', 'id') b JOIN credit_score s ON s.id = b.id) AS row_vs_batch,
       (SELECT max(abs(b.score - aimass.predict_proba(t.model_id, to_jsonb(s))))
          FROM aimass.predict_batch(t.model_id, 'credit_score', 'id') b JOIN credit_score s ON s.id = b.id) AS jsonb_vs_batch,
       (SELECT count(*) FROM aimass.predict_batch(t.model_id, 'credit_score', 'id') b
         WHERE b.score BETWEEN 0 AND 1) AS finite_scores,
       (SELECT aimass.predict_proba(t.model_id, s) BETWEEN 0 AND 1 FROM credit_score s WHERE id = 100002) AS unseen_ok,
       (SELECT aimass.predict_proba(t.model_id, s) BETWEEN 0 AND 1 FROM credit_score s WHERE id = 100001) AS nulls_ok
  FROM trained t ORDER BY t.name;
-- The stored test metrics equal evaluate() on the test rows (the same path, batch read).
SELECT t.name,
       (SELECT m.metrics #>> '{test,log_loss}' FROM aimass.models m WHERE m.id = t.model_id)
         = aimass.evaluate(t.model_id, 'credit_test') ->> 'log_loss' AS stored_equals_evaluate
  FROM trained t ORDER BY t.name;

-- A regression with target encoding and clipping: predict on a row equals the batch value.
SELECT model_id AS reg_model FROM aimass.train('pp_regression', 'credit_data', 'amount', algorithm => 'linear',
  features => ARRAY['home', 'job', 'income', 'price'], preprocess => '{"encode": "target", "clip": [0.05, 0.95]}',
  deploy => 'always') \gset
SELECT max(abs(b.score - aimass.predict(:reg_model, s))) AS row_vs_batch
  FROM aimass.predict_batch('pp_regression', 'credit_score', 'id') b JOIN credit_score s ON s.id = b.id;

-- The fitted recipe, readable.
SELECT position, column_name, kind, transform, inputs
  FROM aimass.model_features((SELECT model_id FROM trained WHERE name = 'robust_clip'))
 WHERE column_name IN ('income', 'home', 'records');
SELECT column_name, statistics -> 'values' AS woe_values, statistics -> 'missing' AS missing
  FROM aimass.model_features((SELECT model_id FROM trained WHERE name = 'woe')) WHERE column_name = 'home';
SELECT column_name, transform, array_length(inputs, 1) AS inputs
  FROM aimass.model_features((SELECT model_id FROM trained WHERE name = 'hashing')) WHERE column_name = 'job';

-- Bad input.
SELECT aimass.train('pp_bad', 'credit_data', 'status', preprocess => '{"impute": "magic"}');
SELECT aimass.train('pp_bad', 'credit_data', 'status', preprocess => '{"columns": {"Income": {}}}');
SELECT aimass.train('pp_bad', 'credit_data', 'status', preprocess => '{"columns": {"home": {"impute": "median"}}}');
SELECT aimass.train('pp_bad', 'credit_data', 'status', preprocess => '{"columns": {"income": {"encode": "woe"}}}');
SELECT aimass.train('pp_bad', 'credit_data', 'status', preprocess => '{"columns": {"income": {"impute": "error"}}}');
SELECT aimass.train('pp_bad', 'credit_data', 'status', preprocess => '{"clip": [0.9, 0.1]}');
SELECT aimass.train('pp_bad', 'credit_data', 'amount', algorithm => 'linear', features => ARRAY['home'],
                    preprocess => '{"encode": "woe"}');
SELECT aimass.train('pp_bad', 'credit_data', 'status', preprocess => '{"impute": "constant"}');
SELECT aimass.predict_batch((SELECT model_id FROM trained WHERE name = 'default'), 'credit_score', 'home');
SELECT aimass.predict_batch('pp_default', 'credit_score', 'id');
SELECT count(*) AS bad_projects FROM aimass.projects WHERE name = 'pp_bad';
DROP TABLE credit_score;
