-- The aimass credit pipeline, end to end, on the sample data (loaded by sql/sample_data.sql).
-- Run by `make demo`; every statement is plain SQL a risk analyst could type.
\pset footer off
\set ECHO queries
DROP EXTENSION IF EXISTS aimass CASCADE;
CREATE EXTENSION aimass;

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
