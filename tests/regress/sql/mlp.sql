-- mlp: the dense neural net (candle, CPU) on credit_data's fixed split: test AUC ≥ 0.80;
-- deterministic under its seed; stored as plain weights with batch norm folded in.
\set VERBOSITY verbose
SELECT model_id AS net, (metrics #>> '{test,auc}')::float8 >= 0.80 AS test_auc_at_least_080
  FROM aimass.train('net', 'credit_data', 'status', algorithm => 'mlp', exclude => ARRAY['id'],
                    split => 'column:split') \gset
SELECT :'test_auc_at_least_080' AS test_auc_at_least_080;
SELECT hyperparams FROM aimass.models WHERE id = :net;
SELECT model_id AS net2 FROM aimass.train('net2', 'credit_data', 'status', algorithm => 'mlp', exclude => ARRAY['id'],
                                          split => 'column:split', deploy => 'never') \gset
SELECT (SELECT artifact FROM aimass.models WHERE id = :net) = (SELECT artifact FROM aimass.models WHERE id = :net2)
       AS same_net_under_the_seed;
SELECT max(abs(b.score - aimass.predict_proba(:net, c))) AS row_vs_batch,
       bool_and(b.score BETWEEN 0 AND 1) AS probabilities
  FROM aimass.predict_batch(:net, 'credit_data', 'id') b JOIN credit_data c USING (id);
-- Other layer sizes, no batch norm; regression on a standardized target.
SELECT (metrics #>> '{test,auc}')::float8 >= 0.78 AS small_net_learns
  FROM aimass.train('net_small', 'credit_data', 'status', algorithm => 'mlp', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never',
                    hyperparams => '{"hidden": [16], "batch_norm": false, "dropout": 0.2, "epochs": 100}');
SELECT (metrics #>> '{test,r2}')::float8 > 0.5 AS regression_learns
  FROM aimass.train('net_amount', 'credit_data', 'amount', algorithm => 'mlp',
                    features => ARRAY['price', 'income', 'home', 'time'], split => 'column:split', deploy => 'never');

-- Bad input.
SELECT * FROM aimass.train('net_bad', 'credit_data', 'status', algorithm => 'mlp', hyperparams => '{"hidden": [0]}');
SELECT * FROM aimass.train('net_bad', 'credit_data', 'status', algorithm => 'mlp', hyperparams => '{"hidden": "64"}');
SELECT * FROM aimass.train('net_bad', 'credit_data', 'status', algorithm => 'mlp', hyperparams => '{"dropout": 1}');
SELECT * FROM aimass.train('net_bad', 'credit_data', 'status', algorithm => 'mlp', preprocess => '{"impute": "keep"}');
SELECT e.* FROM credit_data c, aimass.explain('net', c) e WHERE c.id = 1;
