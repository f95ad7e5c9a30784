-- stacking, blending and bagging on credit_data's fixed split: a stack of logistic regression and
-- gradient boosting is at least as good as the better of the two alone (− 0.002); bagged trees
-- beat one tree.
\set VERBOSITY verbose
CREATE TEMP TABLE alone AS
SELECT algorithm, (metrics #>> '{test,auc}')::float8 AS auc
  FROM aimass.train('alone_logistic', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'never')
UNION ALL
SELECT algorithm, (metrics #>> '{test,auc}')::float8
  FROM aimass.train('alone_gb', 'credit_data', 'status', algorithm => 'gradient_boosting', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never');
SELECT model_id AS stack, (metrics #>> '{test,auc}')::float8 >= (SELECT max(auc) FROM alone) - 0.002 AS stack_at_least_the_better
  FROM aimass.train('stack', 'credit_data', 'status', algorithm => 'stacking', exclude => ARRAY['id'],
                    split => 'column:split') \gset
SELECT :'stack_at_least_the_better' AS stack_at_least_the_better;
SELECT hyperparams -> 'folds' AS folds, jsonb_path_query_array(hyperparams, '$.estimators[*].algorithm') AS bases
  FROM aimass.models WHERE id = :stack;
-- The bases share the stack's preprocessing: logistic regression cannot take missing values, so
-- they are imputed (median).
SELECT transform FROM aimass.model_features(:stack) WHERE column_name = 'income';
SELECT max(abs(b.score - aimass.predict_proba(:stack, c))) AS row_vs_batch
  FROM aimass.predict_batch(:stack, 'credit_data', 'id') b JOIN credit_data c USING (id);
SELECT (metrics #>> '{test,auc}')::float8 >= (SELECT max(auc) FROM alone) - 0.01 AS blend_close_to_the_better
  FROM aimass.train('blend', 'credit_data', 'status', algorithm => 'blending', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never',
                    hyperparams => '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "random_forest", "hyperparams": {"n_trees": 50}}]}');
-- Bagging 25 depth-6 trees against one.
SELECT (b.metrics #>> '{test,auc}')::float8 > (t.metrics #>> '{test,auc}')::float8 + 0.01 AS bagged_trees_beat_one
  FROM aimass.train('bag', 'credit_data', 'status', algorithm => 'bagging', exclude => ARRAY['id'], split => 'column:split',
                    deploy => 'never', hyperparams => '{"estimator": {"algorithm": "decision_tree", "hyperparams": {"max_depth": 6}}, "n_estimators": 25}') b,
       aimass.train('one_tree', 'credit_data', 'status', algorithm => 'decision_tree', exclude => ARRAY['id'], split => 'column:split',
                    deploy => 'never', hyperparams => '{"max_depth": 6}') t;
-- Regression stack.
SELECT (metrics #>> '{test,r2}')::float8 > 0.5 AS regression_stack_learns
  FROM aimass.train('stack_amount', 'credit_data', 'amount', algorithm => 'stacking',
                    features => ARRAY['price', 'income', 'home', 'time'], split => 'column:split', deploy => 'never',
                    hyperparams => '{"estimators": [{"algorithm": "linear"}, {"algorithm": "gradient_boosting"}], "folds": 3}');

-- Bad input.
SELECT * FROM aimass.train('stack_bad', 'credit_data', 'status', algorithm => 'stacking', hyperparams => '{"estimators": []}');
SELECT * FROM aimass.train('stack_bad', 'credit_data', 'status', algorithm => 'stacking', hyperparams => '{"estimators": [{"algorithm": "stacking"}]}');
SELECT * FROM aimass.train('stack_bad', 'credit_data', 'status', algorithm => 'stacking', hyperparams => '{"estimators": [{"algorithm": "svm9"}]}');
SELECT * FROM aimass.train('stack_bad', 'credit_data', 'status', algorithm => 'stacking', hyperparams => '{"estimators": [{"algorithm": "logistic", "hyperparams": {"alpha": -1}}]}');
SELECT * FROM aimass.train('stack_bad', 'credit_data', 'status', algorithm => 'stacking', hyperparams => '{"estimators": ["logistic"]}');
SELECT * FROM aimass.train('stack_bad', 'credit_data', 'status', algorithm => 'stacking', hyperparams => '{"folds": 1}');
SELECT * FROM aimass.train('stack_bad', 'credit_data', 'status', algorithm => 'bagging', hyperparams => '{"estimator": {"algorithm": "linear"}}');
SELECT e.* FROM credit_data c, aimass.explain('stack', c) e WHERE c.id = 1;
