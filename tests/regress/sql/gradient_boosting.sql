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
-- Regression: a numeric target.
SELECT (metrics #>> '{test,r2}')::float8 > 0.5 AS regression_learns
  FROM aimass.train('gb_amount', 'credit_data', 'amount', algorithm => 'gradient_boosting',
                    features => ARRAY['price', 'income', 'home', 'time'], split => 'column:split');

-- Bad input.
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"num_leaves": 1}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"trees": 10}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', algorithm => 'gradient_boosting', hyperparams => '{"learning_rate": 2}');
SELECT * FROM aimass.train('gb_bad', 'credit_data', 'status', preprocess => '{"impute": "keep"}');
