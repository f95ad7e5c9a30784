-- svm: a support vector classifier (aimass's own SMO solver) with Platt-scaled probabilities, for small data.
\set VERBOSITY verbose
SELECT model_id AS svm, (metrics #>> '{test,auc}')::float8 >= 0.83 AS test_auc_at_least_083
  FROM aimass.train('svm', 'credit_data', 'status', algorithm => 'svm', exclude => ARRAY['id'],
                    split => 'column:split') \gset
SELECT :'test_auc_at_least_083' AS test_auc_at_least_083;
SELECT hyperparams FROM aimass.models WHERE id = :svm;
SELECT max(abs(b.score - aimass.predict_proba(:svm, c))) AS row_vs_batch,
       bool_and(b.score BETWEEN 0 AND 1) AS probabilities
  FROM aimass.predict_batch(:svm, 'credit_data', 'id') b JOIN credit_data c USING (id);

-- Bad input.
SELECT * FROM aimass.train('svm_bad', 'credit_data', 'status', algorithm => 'svm', hyperparams => '{"max_rows": 1000}');
SELECT * FROM aimass.train('svm_bad', 'credit_data', 'amount', algorithm => 'svm');
SELECT * FROM aimass.train('svm_bad', 'credit_data', 'status', algorithm => 'svm', hyperparams => '{"kernel": "sigmoid"}');
SELECT * FROM aimass.train('svm_bad', 'credit_data', 'status', algorithm => 'svm', hyperparams => '{"gamma": -1}');
SELECT * FROM aimass.train('svm_bad', 'credit_data', 'status', algorithm => 'svm', weight_column => 'amount');
