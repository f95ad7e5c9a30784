-- gradient_boosting on the shared data's fixed split against LightGBM 4.7.0 defaults
-- (data/README.md: test AUC 0.8403 on credit_data, 0.7102 on lending_club): within 0.005.
\set VERBOSITY verbose
SELECT model_id AS gb_credit, (metrics #>> '{test,auc}')::float8 >= 0.8403 - 0.005 AS credit_auc_at_lightgbm
  FROM aimass.train('gb_credit', 'credit_data', 'status', algorithm => 'gradient_boosting',
                    exclude => ARRAY['id'], split => 'column:split') \gset
SELECT :'credit_auc_at_lightgbm' AS credit_auc_at_lightgbm;
SELECT (metrics #>> '{test,auc}')::float8 >= 0.7102 - 0.005 AS lending_auc_at_lightgbm
  FROM aimass.train('gb_lending', 'lending_club', 'class', algorithm => 'gradient_boosting',
                    exclude => ARRAY['id'], split => 'column:split');
SELECT hyperparams FROM aimass.models WHERE id = :gb_credit;
-- Missing values stay missing by default (impute keep) and are scored without error; row by row
-- equals batch.
SELECT transform FROM aimass.model_features(:gb_credit) WHERE column_name = 'income';
SELECT max(abs(b.score - aimass.predict_proba(:gb_credit, c))) AS row_vs_batch,
       count(*) FILTER (WHERE c.income IS NULL) AS rows_with_null_income
  FROM aimass.predict_batch(:gb_credit, 'credit_data', 'id') b JOIN credit_data c USING (id);
SELECT aimass.predict_proba(:gb_credit, '{"seniority": null, "home": null, "time": null, "age": null, "marital": null,
  "records": null, "job": null, "expenses": null, "income": null, "assets": null, "debt": null, "amount": null,
  "price": null, "split": null}'::jsonb) BETWEEN 0 AND 1 AS all_null_row_scores;
-- The stored test metrics equal evaluate() on the test rows.
SELECT (SELECT metrics #>> '{test,log_loss}' FROM aimass.models WHERE id = :gb_credit)
       = aimass.evaluate(:gb_credit, 'credit_test') ->> 'log_loss' AS stored_equals_evaluate;
-- Reason codes by TreeSHAP: each row's contributions (log-odds) sum to its log-odds minus the
-- mean log-odds over the training rows (the trees' cover-weighted expectation), within 1e-9.
WITH scored AS (SELECT c, split, ln(p / (1 - p)) AS logit
                  FROM credit_data c, aimass.predict_proba(:gb_credit, c) p),
     base AS (SELECT avg(logit) AS ev FROM scored WHERE split = 'train')
SELECT count(*) AS rows_explained,
       max(abs((SELECT sum(contribution) FROM aimass.explain('gb_credit', s.c, 100)) - (logit - ev))) < 1e-9
         AS contributions_sum_to_log_odds
  FROM scored s, base;
SELECT feature, value, round(contribution::numeric, 4) AS contribution
  FROM credit_data c, aimass.explain('gb_credit', c) WHERE c.id = 1;
-- Monotone constraints: risk never rises with seniority or income and never falls with debt.
-- Sweeping one feature over its range for 100 applicants: never a step the wrong way, where the
-- unconstrained model has some; the constrained model still ranks well.
SELECT model_id AS gb_mono, (metrics #>> '{test,auc}')::float8 > 0.83 AS constrained_auc_above_083
  FROM aimass.train('gb_mono', 'credit_data', 'status', algorithm => 'gradient_boosting', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never',
                    hyperparams => '{"monotone_constraints": {"seniority": -1, "income": -1, "debt": 1}}') \gset
SELECT :'constrained_auc_above_083' AS constrained_auc_above_083;
CREATE TEMP TABLE sweeps AS
  SELECT m.model, f.feature, f.sign, c.id, v, aimass.predict_proba(m.model, jsonb_set(to_jsonb(c), ARRAY[f.feature], to_jsonb(v))) AS p
    FROM (VALUES (:gb_mono, 'constrained'), (:gb_credit, 'free')) m(model, kind),
         (VALUES ('seniority', -1, 0, 50, 1), ('income', -1, 0, 1000, 10), ('debt', 1, 0, 6000, 50)) f(feature, sign, lo, hi, step),
         credit_data c, generate_series(f.lo, f.hi, f.step) v
   WHERE c.id <= 100;
SELECT CASE model WHEN :gb_mono THEN 'constrained' ELSE 'free' END AS model, feature,
       count(*) FILTER (WHERE sign * (p - prev) < 0) AS wrong_way_steps, count(*) AS steps
  FROM (SELECT *, lag(p) OVER (PARTITION BY model, feature, id ORDER BY v) AS prev FROM sweeps) s
 WHERE prev IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2;
-- Early stopping on a validation tenth of the training rows keeps the best round's trees.
SELECT (metrics ->> 'trees')::int < 1000 AS stopped_early, (metrics #>> '{test,auc}')::float8 > 0.83 AS auc_above_083
  FROM aimass.train('gb_early', 'credit_data', 'status', algorithm => 'gradient_boosting', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never',
                    hyperparams => '{"n_estimators": 1000, "early_stopping_rounds": 20}');
-- Progress NOTICEs (every round with progress_interval 0) with the validation loss.
SET aimass.progress_interval = 0;
SELECT metrics ->> 'trees' AS trees
  FROM aimass.train('gb_progress', 'credit_data', 'status', algorithm => 'gradient_boosting', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never',
                    hyperparams => '{"n_estimators": 3, "early_stopping_rounds": 5, "validation_fraction": 0.2}');
RESET aimass.progress_interval;
-- Cancel: a statement timeout stops a long training between rounds and leaves no model behind.
SELECT count(*) AS models_before FROM aimass.models \gset
SET statement_timeout = '1s';
\set VERBOSITY terse
SELECT * FROM aimass.train('gb_cancel', 'lending_club', 'class', algorithm => 'gradient_boosting',
                           hyperparams => '{"n_estimators": 100000}');
\set VERBOSITY verbose
RESET statement_timeout;
SELECT count(*) = :models_before AS nothing_left_behind,
       NOT EXISTS (SELECT FROM aimass.projects WHERE name = 'gb_cancel') AS no_project
  FROM aimass.models;
-- Regression: a numeric target.
SELECT (metrics #>> '{test,r2}')::float8 > 0.5 AS regression_learns
  FROM aimass.train('gb_amount', 'credit_data', 'amount', algorithm => 'gradient_boosting',
                    features => ARRAY['price', 'income', 'home', 'time'], split => 'column:split');

-- Bad input.
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"num_leaves": 1}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"trees": 10}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"learning_rate": 2}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', preprocess => '{"impute": "keep"}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"monotone_constraints": {"home": 1}}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"monotone_constraints": {"nope": 1}}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"monotone_constraints": {"income": 5}}');
