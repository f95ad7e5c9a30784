-- The aimass credit pipeline, end to end, on the sample data (loaded by sql/sample_data.sql).
-- Run by `make demo`; every statement is plain SQL a risk analyst could type.
\pset footer off
\set ECHO queries
DROP EXTENSION IF EXISTS aimass CASCADE;
CREATE EXTENSION aimass;

-- 0. Data quality: what is in the table, column by column, and how each column alone separates
--    bad from good applications (information value, univariate AUC).
SELECT column_name, data_type, nulls, distinct_values, min, max, round(mean::numeric, 1) AS mean,
       outliers_iqr, round(iv::numeric, 3) AS iv, round(auc::numeric, 3) AS auc
  FROM aimass.profile('credit_data', 'status');

--    Clean a copy (the source is never modified): clip extreme Income/Assets to 3·IQR fences
--    (not Debt: three quarters of it is 0, so its IQR is 0 and Tukey fences would flatten it),
--    fill missing numbers with the median and missing categories with the most frequent one,
--    and report every change. The fitted recipe is stored for re-use on new data.
CREATE TEMP TABLE clean_report AS
SELECT aimass.clean('credit_data', 'credit_clean', '{
  "missing": "median",
  "columns": {"income": {"outliers": {"method": "iqr", "k": 3, "action": "clip"}, "missing_indicator": true},
              "assets": {"outliers": {"method": "iqr", "k": 3, "action": "clip"}},
              "home": {"missing": "mode"}, "marital": {"missing": "mode"}, "job": {"missing": "mode"}},
  "replace": true}') AS report;
SELECT jsonb_pretty(report - 'columns') AS clean_summary FROM clean_report;
SELECT key AS column_name, value ->> 'nulls' AS nulls, value ->> 'imputed' AS imputed,
       value ->> 'clipped' AS clipped, value -> 'missing_rule' ->> 'fill' AS fill,
       value -> 'outlier_rule' -> 'fence' AS fence
  FROM clean_report, jsonb_each(report -> 'columns')
 WHERE key IN ('income', 'assets', 'debt', 'home', 'marital', 'job') ORDER BY key;

-- 1. Train a logistic regression on the credit applications. The `split` column fixes the
--    train/test split; `id` is not a feature.
SELECT model_id, project, algorithm, deployed,
       round((metrics -> 'test' ->> 'auc')::numeric, 4) AS test_auc,
       round((metrics -> 'test' ->> 'ks')::numeric, 4)  AS test_ks
  FROM aimass.train('credit', 'credit_data', 'status',
                    exclude => ARRAY['id'], split => 'column:split', positive => 'bad');

-- 2. A second model on the same project: a stronger L2 penalty. Relation, target, features and
--    split are reused from the first training; it is deployed only if its test AUC is better.
SELECT model_id, algorithm, deployed,
       round((metrics -> 'test' ->> 'auc')::numeric, 4) AS test_auc
  FROM aimass.train('credit', hyperparams => '{"alpha": 50}');

SELECT project, model_id, algorithm, round(test_auc::numeric, 4) AS test_auc,
       round(test_ks::numeric, 4) AS test_ks, train_rows, test_rows, deployed
  FROM aimass.models_overview ORDER BY model_id;

-- 3. Evaluate the deployed model on the test applications, with the metrics banks use.
CREATE VIEW credit_test AS SELECT * FROM credit_data WHERE split = 'test';
SELECT key AS metric, value
  FROM jsonb_each(aimass.evaluate('credit', 'credit_test'))
 WHERE key IN ('rows', 'positive_rate', 'auc', 'ks', 'gini', 'log_loss', 'brier', 'accuracy', 'precision', 'recall', 'f1')
 ORDER BY key;

-- 4. Deploy explicitly (best test AUC), then score inline in a SELECT: the ten riskiest
--    test applications.
SELECT deployment_id, project, model_id, strategy FROM aimass.deploy('credit', 'best_score');

SELECT id, status, age, income, debt, home, job,
       round(aimass.predict_proba('credit', c)::numeric, 3) AS p_bad
  FROM credit_test c
 ORDER BY p_bad DESC
 LIMIT 10;

-- 5. Score one application that is not in any table, as a BI tool or a stored procedure would.
SELECT round(aimass.predict_proba('credit', '{"seniority": 1, "home": "rent", "time": 60, "age": 23,
         "marital": "single", "records": "yes", "job": "partime", "expenses": 60, "income": 80,
         "assets": 0, "debt": 0, "amount": 1200, "price": 1300}'::jsonb)::numeric, 3) AS p_bad_new_applicant;

-- 6. The same on LendingClub loans (5 % bad): compare with scikit-learn's 0.7323 test AUC.
SELECT model_id, project, round((metrics -> 'test' ->> 'auc')::numeric, 4) AS test_auc,
       round((metrics -> 'test' ->> 'ks')::numeric, 4) AS test_ks
  FROM aimass.train('lending', 'lending_club', 'class', exclude => ARRAY['id'], split => 'column:split');

SELECT addr_state, count(*) AS loans,
       round(avg(aimass.predict_proba('lending', l))::numeric, 4) AS mean_p_bad,
       round(avg((class = 'bad')::int)::numeric, 4) AS bad_rate
  FROM lending_club l
 GROUP BY addr_state
 ORDER BY mean_p_bad DESC
 LIMIT 5;

-- 7. Preprocessing travels with the model: a model on the cleaned table with robust scaling,
--    weight-of-evidence encoding for the text columns and clipping to training quantiles. Its
--    recipe is readable, and scoring applies it row by row exactly as in training.
SELECT model_id, round((metrics -> 'test' ->> 'auc')::numeric, 4) AS test_auc
  FROM aimass.train('credit_clean', 'credit_clean', 'status', exclude => ARRAY['id'], split => 'column:split',
                    preprocess => '{"scale": "robust", "encode": "woe", "clip": [0.01, 0.99]}');
SELECT column_name, kind, transform FROM aimass.model_features(
  (SELECT model_id FROM aimass.models_overview WHERE project = 'credit_clean' AND deployed));

-- 8. The risk toolkit: which columns to keep, monotonic bins with WOE, a scorecard with points,
--    the reasons behind one applicant's score, and the metrics as aggregates by group.
SELECT column_name, kept, reason FROM aimass.select_features('credit_data', 'status') WHERE NOT kept;
SELECT column_name, bin, label, count, round(bad_rate::numeric, 3) AS bad_rate, round(woe::numeric, 3) AS woe
  FROM aimass.bin('credit_data', 'status', ARRAY['seniority', 'income'], 'monotonic');
SELECT model_id, round((metrics -> 'test' ->> 'auc')::numeric, 4) AS test_auc
  FROM aimass.train('credit_card', 'credit_data', 'status', algorithm => 'scorecard', exclude => ARRAY['id', 'split'],
                    split => 'column:split', hyperparams => '{"round": true}');
SELECT feature, bin, label, points FROM aimass.scorecard(
  (SELECT model_id FROM aimass.models_overview WHERE project = 'credit_card' AND deployed)) WHERE feature IN ('(base points)', 'records', 'job');
SELECT c.id, aimass.score_points('credit_card', c) AS score, r.feature, r.value, r.contribution AS points_lost
  FROM credit_data c, aimass.explain('credit_card', c, 2) r WHERE c.id IN (3, 7);
SELECT split, round(aimass.auc(p, bad)::numeric, 4) AS auc, round(aimass.ks(p, bad)::numeric, 4) AS ks,
       round(aimass.gini(p, bad)::numeric, 4) AS gini
  FROM (SELECT split, aimass.predict_proba('credit_card', c) AS p, status = 'bad' AS bad FROM credit_data c) s
 GROUP BY split;
SELECT round(aimass.psi(income, split = 'train')::numeric, 4) AS psi_income_test_vs_train FROM credit_data;
