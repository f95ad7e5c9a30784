-- Sample weights (weight_column) and class weights.
\set VERBOSITY verbose
-- A weight of 2 is the row twice: a decision tree on weighted rows scores every row exactly as the
-- tree on the table with those rows duplicated (features with fewer than 255 values, so both see
-- the same bins).
CREATE TABLE weighted AS
  SELECT c.*, CASE WHEN id % 3 = 0 THEN 2 ELSE 1 END AS w FROM credit_data c;
CREATE TABLE duplicated AS
  SELECT c.* FROM credit_data c, generate_series(1, 2) k WHERE k = 1 OR id % 3 = 0;
SELECT model_id AS tw FROM aimass.train('tree_w', 'weighted', 'status', algorithm => 'decision_tree',
  features => ARRAY['seniority', 'age', 'home', 'records', 'job'], split => 'column:split', weight_column => 'w',
  hyperparams => '{"max_depth": 5}', deploy => 'never') \gset
SELECT model_id AS td FROM aimass.train('tree_d', 'duplicated', 'status', algorithm => 'decision_tree',
  features => ARRAY['seniority', 'age', 'home', 'records', 'job'], split => 'column:split',
  hyperparams => '{"max_depth": 5}', deploy => 'never') \gset
SELECT model_id AS tu FROM aimass.train('tree_u', 'credit_data', 'status', algorithm => 'decision_tree',
  features => ARRAY['seniority', 'age', 'home', 'records', 'job'], split => 'column:split',
  hyperparams => '{"max_depth": 5}', deploy => 'never') \gset
SELECT max(abs(aimass.predict_proba(:tw, c) - aimass.predict_proba(:td, c))) AS weighted_vs_duplicated,
       max(abs(aimass.predict_proba(:tw, c) - aimass.predict_proba(:tu, c))) > 0 AS weights_change_the_tree
  FROM credit_data c;
SELECT training_args ->> 'weight_column' AS weight_column FROM aimass.models WHERE id = :tw;
-- Weighting the bad applicants 5 times raises the mean predicted probability; gradient boosting,
-- random forest and the neural net take weights.
CREATE TABLE bad_heavy AS SELECT c.*, CASE WHEN status = 'bad' THEN 5.0 ELSE 1.0 END AS w FROM credit_data c;
SELECT m.algorithm, avg(aimass.predict_proba(w.model_id, c)) > avg(aimass.predict_proba(u.model_id, c)) + 0.1 AS heavier_bads_higher_p
  FROM (VALUES ('gradient_boosting'), ('random_forest'), ('mlp')) m(algorithm),
       LATERAL aimass.train('w_' || m.algorithm, 'bad_heavy', 'status', algorithm => m.algorithm, exclude => ARRAY['id'],
                            split => 'column:split', weight_column => 'w', deploy => 'never',
                            hyperparams => CASE m.algorithm WHEN 'random_forest' THEN '{"max_depth": 6}' ELSE '{}' END::jsonb) w,
       LATERAL aimass.train('u_' || m.algorithm, 'bad_heavy', 'status', algorithm => m.algorithm, exclude => ARRAY['id', 'w'],
                            split => 'column:split', deploy => 'never',
                            hyperparams => CASE m.algorithm WHEN 'random_forest' THEN '{"max_depth": 6}' ELSE '{}' END::jsonb) u,
       credit_data c
 GROUP BY m.algorithm ORDER BY m.algorithm;
-- class_weight balanced for gradient boosting: the class-balanced mean probability on the training
-- rows ((mean over bads + mean over goods) / 2) moves to 0.5.
SELECT (avg(aimass.predict_proba(b.model_id, c)) FILTER (WHERE status = 'bad')
        + avg(aimass.predict_proba(b.model_id, c)) FILTER (WHERE status = 'good')) / 2 BETWEEN 0.45 AND 0.55
         AS balanced_mean_near_half
  FROM aimass.train('gb_balanced', 'credit_data', 'status', algorithm => 'gradient_boosting', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never', hyperparams => '{"class_weight": "balanced"}') b,
       credit_data c WHERE c.split = 'train';

-- Bad input.
SELECT * FROM aimass.train('bad', 'weighted', 'status', exclude => ARRAY['id'], weight_column => 'w');
SELECT * FROM aimass.train('bad', 'weighted', 'status', algorithm => 'gradient_boosting', weight_column => 'home');
SELECT * FROM aimass.train('bad', 'weighted', 'status', algorithm => 'gradient_boosting', weight_column => 'nope');
SELECT * FROM aimass.train('bad', 'weighted', 'status', algorithm => 'gradient_boosting', weight_column => 'w', features => ARRAY['w', 'age']);
UPDATE weighted SET w = -1 WHERE id = 5;
SELECT * FROM aimass.train('bad', 'weighted', 'status', algorithm => 'gradient_boosting', weight_column => 'w');
UPDATE weighted SET w = NULL WHERE id = 5;
SELECT * FROM aimass.train('bad', 'weighted', 'status', algorithm => 'gradient_boosting', weight_column => 'w');
UPDATE weighted SET w = 0;
SELECT * FROM aimass.train('bad', 'weighted', 'status', algorithm => 'gradient_boosting', weight_column => 'w');
DROP TABLE weighted, duplicated, bad_heavy;
