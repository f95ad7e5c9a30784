-- Logistic regression on the fixed split reaches scikit-learn's test AUC (reference.json:
-- credit_data 0.8385, lending_club 0.7323), and evaluate() agrees with the stored test metrics.
SELECT model_id, project, algorithm, deployed,
       (metrics -> 'test' ->> 'auc')::float8 >= 0.82 AS auc_at_least_082,
       round((metrics -> 'test' ->> 'auc')::numeric, 3) AS test_auc,
       (metrics -> 'test' ->> 'rows')::int AS test_rows,
       (metrics -> 'train' ->> 'rows')::int AS train_rows
  FROM aimass.train('credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split');

SELECT model_id, project, deployed,
       (metrics -> 'test' ->> 'auc')::float8 >= 0.72 AS auc_at_least_072,
       round((metrics -> 'test' ->> 'auc')::numeric, 3) AS test_auc
  FROM aimass.train('lending', 'lending_club', 'class', exclude => ARRAY['id'], split => 'column:split');

-- The catalog: project, snapshot, features with types, recipe, artifact header.
SELECT name, task FROM aimass.projects ORDER BY id;
SELECT relation, row_count, train_rows, test_rows, split ->> 'method' AS split, length(content_hash) AS hash_len
  FROM aimass.snapshots ORDER BY id;
SELECT m.id, jsonb_array_length(m.features) AS n_features, m.features -> 0 AS first_feature,
       m.target, m.hyperparams, m.artifact_format, substring(m.artifact from 1 for 6) AS magic
  FROM aimass.models m ORDER BY id;
SELECT jsonb_path_query(preprocessing, '$.steps[*].categorical ? (@.name == "home")') AS home_recipe
  FROM aimass.models WHERE id = 1;

-- evaluate() on the test rows gives exactly the test metrics train() stored.
SELECT (aimass.evaluate('credit', 'credit_test') - 'model_id' - 'null_target_rows')
       = (metrics -> 'test') AS evaluate_equals_stored
  FROM aimass.models WHERE id = 1;
SELECT (aimass.evaluate(2, 'lending_test') - 'model_id' - 'null_target_rows')
       = (metrics -> 'test') AS evaluate_equals_stored
  FROM aimass.models WHERE id = 2;
SELECT jsonb_object_keys(aimass.evaluate('credit', 'credit_test')) AS metric ORDER BY 1;
SELECT aimass.evaluate('credit', 'credit_test', threshold => 0.3) -> 'confusion_matrix' AS confusion_at_030;

-- Inline predict_proba over the test rows reproduces the probabilities evaluate() used: the AUC
-- and log loss computed in plain SQL from the inline scores equal evaluate()'s to the last bit.
CREATE TEMP TABLE scored AS
SELECT id, (status = 'bad') AS bad, aimass.predict_proba('credit', c) AS p FROM credit_test c;
WITH ranked AS (
  SELECT bad, rank() OVER (ORDER BY p) AS r, count(*) OVER (PARTITION BY p) AS ties FROM scored
), auc AS (
  SELECT (sum(r + (ties - 1) / 2.0) FILTER (WHERE bad)
          - count(*) FILTER (WHERE bad) * (count(*) FILTER (WHERE bad) + 1) / 2.0)
         / (count(*) FILTER (WHERE bad) * count(*) FILTER (WHERE NOT bad)) AS auc
    FROM ranked
)
SELECT abs(auc.auc - (aimass.evaluate('credit', 'credit_test') ->> 'auc')::float8) < 1e-12 AS sql_auc_matches
  FROM auc;
SELECT -avg(CASE WHEN bad THEN ln(greatest(least(p, 1 - 1e-15), 1e-15))
                 ELSE ln(greatest(least(1 - p, 1 - 1e-15), 1e-15)) END)
       - (aimass.evaluate('credit', 'credit_test') ->> 'log_loss')::float8 AS log_loss_difference
  FROM scored;

-- A second model reuses relation, target, features and split; comparing algorithms is one call.
SELECT model_id, algorithm, (metrics -> 'test' ->> 'rows')::int AS test_rows
  FROM aimass.train('credit', hyperparams => '{"alpha": 50}', deploy => 'never');
SELECT training_args - 'positive' AS reused FROM aimass.models WHERE id = 3;
SELECT project, model_id, algorithm, headline_metric, deployed FROM aimass.models_overview ORDER BY model_id;

-- Other splits: stratified (the default), random and out-of-time.
SELECT model_id AS strat FROM aimass.train('credit_strat', 'credit_data', 'status', exclude => ARRAY['id', 'split']) \gset
SELECT (metrics -> 'test' ->> 'rows')::int AS test_rows,
       round((metrics -> 'test' ->> 'positive_rate')::numeric, 3) AS test_bad_rate
  FROM aimass.models WHERE id = :strat;
SELECT (metrics -> 'test' ->> 'rows')::int AS test_rows
  FROM aimass.train('credit_random', 'credit_data', 'status', exclude => ARRAY['id', 'split'],
                    split => 'random', test_size => 0.25, seed => 7);
SELECT (metrics -> 'test' ->> 'rows')::int AS test_rows
  FROM aimass.train('credit_time', 'credit_data', 'status', exclude => ARRAY['split'], split => 'time:id');

-- Regression: linear on a numeric target, evaluated with r2 / rmse / mae.
SELECT model_id, algorithm, metrics -> 'test' ? 'rmse' AS has_rmse,
       (metrics -> 'test' ->> 'r2')::float8 > 0.5 AS r2_above_half
  FROM aimass.train('price', 'credit_data', 'price', algorithm => 'linear',
                    features => ARRAY['amount', 'income', 'assets', 'home'], split => 'column:split');
SELECT jsonb_object_keys(aimass.evaluate('price', 'credit_test')) AS metric ORDER BY 1;

-- Boolean and 0/1 targets.
CREATE TEMP TABLE flags AS
SELECT id, status = 'bad' AS is_bad, (status = 'bad')::int AS bad01, age, income, home FROM credit_data;
SELECT (metrics -> 'test' ->> 'auc')::float8 > 0.6 AS learns
  FROM aimass.train('flags_bool', 'flags', 'is_bad', exclude => ARRAY['id', 'bad01']);
SELECT (metrics -> 'test' ->> 'auc')::float8 > 0.6 AS learns
  FROM aimass.train('flags_int', 'flags', 'bad01', exclude => ARRAY['id', 'is_bad']);
SELECT p.name, m.target ->> 'positive' AS positive, m.target ->> 'negative' AS negative
  FROM aimass.models m JOIN aimass.projects p ON p.id = m.project_id
 WHERE p.name LIKE 'flags%' ORDER BY m.id;

-- train returns the headline; the catalog keeps the whole document.
SELECT jsonb_object_keys(metrics -> 'test') AS headline_test_key
  FROM aimass.train('credit_headline', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'never')
 ORDER BY 1;
SELECT jsonb_object_keys(metrics) AS stored_key FROM aimass.models m JOIN aimass.projects p ON p.id = m.project_id
 WHERE p.name = 'credit_headline' ORDER BY 1;
