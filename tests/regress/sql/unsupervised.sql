-- Models trained without a target: isolation_forest (anomaly scores for fraud screening) and
-- kmeans (segments).
\set VERBOSITY verbose
-- A constructed case: 3000 ordinary card transactions and 60 injected anomalies (a huge amount,
-- a night hour, many items, or an unusual merchant category), deterministic under setseed.
SELECT setseed(0.42);
CREATE TABLE tx AS
SELECT i AS id,
       CASE WHEN i > 3000 AND i % 3 = 0 THEN 2000 + 500 * random() ELSE 20 + 60 * random() + 40 * random() END AS amount,
       CASE WHEN i > 3000 AND i % 3 = 1 THEN 3 + floor(2 * random()) ELSE 9 + floor(12 * random()) END AS hour,
       CASE WHEN i > 3000 AND i % 3 = 2 THEN 40 + floor(10 * random()) ELSE 1 + floor(5 * random()) END AS items,
       CASE WHEN i > 3000 AND i % 2 = 0 THEN 'jewelry' ELSE (ARRAY['grocery', 'fuel', 'pharmacy', 'restaurant'])[1 + floor(4 * random())] END AS merchant,
       i > 3000 AS is_fraud,
       CASE WHEN i % 5 = 0 THEN 'test' ELSE 'train' END AS split
  FROM generate_series(1, 3060) i;

-- Trained without looking at is_fraud; given as target, it only measures the ranking: test AUC ≥ 0.9.
SELECT model_id AS iso, (metrics #>> '{test,auc}')::float8 >= 0.9 AS test_auc_at_least_09,
       (metrics #>> '{train,mean_score}')::float8 < 0.5 AS ordinary_rows_score_low
  FROM aimass.train('fraud_screen', 'tx', 'is_fraud', algorithm => 'isolation_forest', exclude => ARRAY['id'],
                    split => 'column:split') \gset
SELECT :'test_auc_at_least_09' AS test_auc_at_least_09, :'ordinary_rows_score_low' AS ordinary_rows_score_low;
SELECT task FROM aimass.projects WHERE name = 'fraud_screen';
-- Without a target: the same forest (the target never enters the fit), scores in (0, 1].
SELECT model_id AS iso2 FROM aimass.train('fraud_unlabelled', 'tx', algorithm => 'isolation_forest',
                                          exclude => ARRAY['id', 'is_fraud'], split => 'column:split') \gset
SELECT (SELECT artifact FROM aimass.models WHERE id = :iso2) IS NOT NULL AS stored,
       max(abs(aimass.predict_proba(:iso, t) - aimass.predict_proba(:iso2, t))) AS same_scores,
       bool_and(aimass.predict_proba(:iso2, t) > 0 AND aimass.predict_proba(:iso2, t) <= 1) AS in_unit_interval,
       aimass.auc(aimass.predict_proba(:iso2, t), is_fraud) >= 0.9 AS auc_at_least_09,
       avg(aimass.predict(:iso2, t)) FILTER (WHERE is_fraud) > 2 * avg(aimass.predict(:iso2, t)) FILTER (WHERE NOT is_fraud) AS flags_go_to_fraud
  FROM tx t;
SELECT metrics -> 'test' ? 'auc' AS unlabelled_has_auc, metrics #> '{test}' ? 'score_p99' AS has_score_quantiles
  FROM aimass.models WHERE id = :iso2;
-- Reason codes: what isolated the row (TreeSHAP of the path length, negated).
SELECT t.id, e.feature FROM tx t, aimass.explain('fraud_screen', t, 1) e WHERE t.id IN (3003, 3004, 3005) ORDER BY t.id;

-- kmeans: four segments of credit applicants by standardized numbers; predict gives the cluster.
SELECT model_id AS km, (metrics #>> '{train,inertia}')::float8 > 0 AS has_inertia
  FROM aimass.train('segments', 'credit_data', algorithm => 'kmeans', hyperparams => '{"n_clusters": 4}',
                    features => ARRAY['seniority', 'age', 'income', 'amount', 'price'], split => 'column:split') \gset
SELECT jsonb_array_length(metrics #> '{train,cluster_sizes}') AS clusters,
       (SELECT sum(x::int) FROM jsonb_array_elements_text(metrics #> '{train,cluster_sizes}') x) AS train_rows
  FROM aimass.models WHERE id = :km \gset
SELECT :clusters AS clusters, :train_rows AS train_rows, :'has_inertia' AS has_inertia;
SELECT count(DISTINCT aimass.predict(:km, c)) AS distinct_clusters,
       bool_and(aimass.predict(:km, c) IN (0, 1, 2, 3)) AS cluster_ids,
       count(*) FILTER (WHERE aimass.predict(:km, c) = aimass.predict('segments', c)) = count(*) AS project_scores_the_same
  FROM credit_data c;
-- Inertia falls with more clusters.
SELECT (a.metrics #>> '{train,inertia}')::float8 > (b.metrics #>> '{train,inertia}')::float8 AS more_clusters_less_inertia
  FROM aimass.models a, aimass.train('segments8', 'credit_data', algorithm => 'kmeans', deploy => 'never',
                    features => ARRAY['seniority', 'age', 'income', 'amount', 'price'], split => 'column:split') b
 WHERE a.id = :km;

-- Bad input.
SELECT aimass.predict_proba(:km, c) FROM credit_data c WHERE id = 1;
SELECT * FROM aimass.train('bad', 'credit_data', 'status', algorithm => 'kmeans');
SELECT * FROM aimass.train('bad', 'tx', 'is_fraud', algorithm => 'isolation_forest', task => 'binary');
SELECT * FROM aimass.train('bad', 'tx', 'amount', algorithm => 'isolation_forest');
SELECT * FROM aimass.train('bad', 'tx', algorithm => 'logistic');
SELECT * FROM aimass.train('bad', 'tx', algorithm => 'kmeans', hyperparams => '{"n_clusters": 5000}');
SELECT aimass.evaluate(:iso2, 'tx');
-- Labels that arrive later measure an unlabelled anomaly model.
SELECT (aimass.evaluate(:iso2, 'tx', 'is_fraud') ->> 'auc')::float8 >= 0.9 AS later_labels_auc_at_least_09;
SELECT aimass.evaluate(:km, 'credit_data', 'status');
SELECT e.* FROM credit_data c, aimass.explain('segments', c) e WHERE c.id = 1;
DROP TABLE tx;
