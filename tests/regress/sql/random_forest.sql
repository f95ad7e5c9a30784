-- random_forest and decision_tree on the shared data's fixed split against scikit-learn 1.9.1's
-- RandomForestClassifier(n_estimators=100) (data/README.md: test AUC 0.8348 on credit_data, 0.6911
-- on lending_club): within 0.005.
\set VERBOSITY verbose
SELECT model_id AS rf_credit, (metrics #>> '{test,auc}')::float8 >= 0.8348 - 0.005 AS credit_auc_at_sklearn
  FROM aimass.train('rf_credit', 'credit_data', 'status', algorithm => 'random_forest',
                    exclude => ARRAY['id'], split => 'column:split') \gset
SELECT :'credit_auc_at_sklearn' AS credit_auc_at_sklearn;
SELECT (metrics #>> '{test,auc}')::float8 >= 0.6911 - 0.005 AS lending_auc_at_sklearn, metrics ->> 'trees' AS trees
  FROM aimass.train('rf_lending', 'lending_club', 'class', algorithm => 'random_forest',
                    exclude => ARRAY['id'], split => 'column:split', deploy => 'never');
SELECT hyperparams FROM aimass.models WHERE id = :rf_credit;
-- Probabilities are means of leaf class frequencies; row by row equals batch; the same forest
-- whatever aimass.max_threads is (each tree has its own random stream).
SET aimass.max_threads = 1;
SELECT model_id AS rf_one_thread FROM aimass.train('rf_credit1', 'credit_data', 'status', algorithm => 'random_forest',
                    exclude => ARRAY['id'], split => 'column:split', deploy => 'never') \gset
RESET aimass.max_threads;
SELECT (SELECT artifact FROM aimass.models WHERE id = :rf_credit) = (SELECT artifact FROM aimass.models WHERE id = :rf_one_thread)
       AS same_forest_on_one_thread;
SELECT max(abs(b.score - aimass.predict_proba(:rf_credit, c))) AS row_vs_batch,
       bool_and(b.score BETWEEN 0 AND 1) AS probabilities
  FROM aimass.predict_batch(:rf_credit, 'credit_data', 'id') b JOIN credit_data c USING (id);
-- Class weights: balanced classes lift the mean probability on the training rows towards 0.5
-- (shallow trees: fully grown ones have pure leaves, which weights do not change).
SELECT model_id AS rf_shallow FROM aimass.train('rf_shallow', 'credit_data', 'status', algorithm => 'random_forest',
  exclude => ARRAY['id'], split => 'column:split', deploy => 'never', hyperparams => '{"max_depth": 4}') \gset
SELECT model_id AS rf_balanced FROM aimass.train('rf_balanced', 'credit_data', 'status', algorithm => 'random_forest',
  exclude => ARRAY['id'], split => 'column:split', deploy => 'never', hyperparams => '{"class_weight": "balanced", "max_depth": 4}') \gset
SELECT round(avg(aimass.predict_proba(:rf_shallow, c))::numeric, 2) AS mean_p_plain,
       avg(aimass.predict_proba(:rf_balanced, c)) BETWEEN 0.45 AND 0.55 AS mean_p_balanced_near_half
  FROM credit_data c WHERE split = 'train';
-- A decision tree: one CART tree; depth 3 has at most 8 leaves, so at most 8 distinct scores.
SELECT model_id AS tree, (metrics #>> '{test,auc}')::float8 > 0.75 AS tree_auc_above_075
  FROM aimass.train('tree', 'credit_data', 'status', algorithm => 'decision_tree', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never', hyperparams => '{"max_depth": 3}') \gset
SELECT :'tree_auc_above_075' AS tree_auc_above_075, count(DISTINCT aimass.predict_proba(:tree, c)) <= 8 AS at_most_8_leaves
  FROM credit_data c;
-- TreeSHAP of a forest explains the probability: without bootstrap the covers are the training
-- rows, so each row's contributions sum to its probability minus the mean over the training rows.
SELECT model_id AS rf_plain FROM aimass.train('rf_plain', 'credit_data', 'status', algorithm => 'random_forest',
  exclude => ARRAY['id'], split => 'column:split', hyperparams => '{"n_trees": 20, "bootstrap": false, "max_depth": 8}') \gset
WITH scored AS (SELECT c, split, aimass.predict_proba(:rf_plain, c) AS p FROM credit_data c),
     base AS (SELECT avg(p) AS ev FROM scored WHERE split = 'train')
SELECT count(*) AS rows_explained,
       max(abs((SELECT sum(contribution) FROM aimass.explain('rf_plain', s.c, 100)) - (p - ev))) < 1e-9
         AS contributions_sum_to_probability
  FROM scored s, base;
-- Regression forest.
SELECT (metrics #>> '{test,r2}')::float8 > 0.5 AS regression_learns
  FROM aimass.train('rf_amount', 'credit_data', 'amount', algorithm => 'random_forest',
                    features => ARRAY['price', 'income', 'home', 'time'], split => 'column:split');

-- Bad input.
SELECT * FROM aimass.train('rf_bad', 'credit_data', 'status', algorithm => 'random_forest', hyperparams => '{"max_features": "half"}');
SELECT * FROM aimass.train('rf_bad', 'credit_data', 'status', algorithm => 'random_forest', hyperparams => '{"n_trees": 0}');
SELECT * FROM aimass.train('rf_bad', 'credit_data', 'amount', algorithm => 'random_forest', hyperparams => '{"class_weight": "balanced"}');
SELECT * FROM aimass.train('rf_bad', 'credit_data', 'status', algorithm => 'decision_tree', hyperparams => '{"n_trees": 5}');
