-- Champion/challenger: a challenger serves a share of the calls, routed by a key so that a
-- customer always meets the same model; shadow mode scores without serving; a report compares
-- the two on labelled logged rows; promote and end_challenge close the challenge.
SELECT model_id AS champion FROM aimass.train('cc', 'credit_data', 'status', exclude => ARRAY['id'],
       split => 'column:split', deploy => 'always') \gset
SELECT model_id AS challenger FROM aimass.train('cc', 'credit_data', 'status', exclude => ARRAY['id'],
       algorithm => 'gradient_boosting', hyperparams => '{"n_estimators": 30}', split => 'column:split',
       deploy => 'never') \gset
SELECT (m.target ->> 'positive') AS positive FROM aimass.models m WHERE m.id = :champion \gset
SELECT :'positive' AS positive_class;
SELECT model_id AS other_project_model FROM aimass.train('cc_other', 'credit_data', 'status',
       features => ARRAY['age', 'income'], deploy => 'never') \gset

-- 30 % of the customers, by id, meet the challenger.
SELECT strategy FROM aimass.deploy('cc', 'challenger', model_id => :challenger, share => 0.3, key_column => 'id');
SELECT abs(avg((aimass.served_model('cc', c) = :challenger)::int) - 0.3) < 0.03 AS share_met,
       count(DISTINCT aimass.served_model('cc', c)) AS models_serving
  FROM credit_data c;
-- Each score is the serving model's own.
SELECT count(*) FILTER (WHERE aimass.predict_proba('cc', c) <> aimass.predict_proba(aimass.served_model('cc', c), c))
       AS mismatches,
       count(*) FILTER (WHERE aimass.predict_proba('cc', to_jsonb(c)) <> aimass.predict_proba('cc', c)) AS json_differs
  FROM credit_data c;
-- The same customer with other data meets the same model; the routing is the same in every
-- session and statement (a hash, no state).
CREATE TEMP TABLE credit_later AS SELECT * FROM credit_data;
UPDATE credit_later SET income = coalesce(income, 0) * 2 + 10, age = age + 1;
SELECT count(*) FILTER (WHERE aimass.served_model('cc', a) <> aimass.served_model('cc', b)) AS customers_switched
  FROM credit_data a JOIN credit_later b USING (id);
SELECT count(*) FILTER (WHERE r.served <> aimass.served_model('cc', c)) AS differs_in_another_session
  FROM credit_data c
  JOIN dblink('dbname=' || current_database() || ' port=' || current_setting('port')
              || ' host=' || current_setting('unix_socket_directories'),
              'SELECT id, aimass.served_model(''cc'', c) FROM credit_data c') AS r(id integer, served bigint)
    ON r.id = c.id;

-- Shadow: share 0 serves only the champion; the log holds both scores for every row.
SELECT strategy FROM aimass.deploy('cc', 'challenger', model_id => :challenger, share => 0, key_column => 'id');
SELECT count(DISTINCT aimass.served_model('cc', c)) AS models_serving, min(aimass.served_model('cc', c)) = :champion AS champion_serves
  FROM credit_data c;
CREATE TABLE cc_live (LIKE credit_data);
CREATE TRIGGER log AFTER INSERT ON cc_live FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('cc', '1', 'id');
INSERT INTO cc_live SELECT * FROM credit_data WHERE split = 'test';
SELECT role, model_id = :champion AS is_champion, served, count(*)
  FROM aimass.predictions WHERE project_id = (SELECT id FROM aimass.projects WHERE name = 'cc')
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- Labels arrive; the report compares both models on the same labelled rows.
UPDATE aimass.predictions p SET label = c.status FROM credit_data c
 WHERE p.project_id = (SELECT id FROM aimass.projects WHERE name = 'cc') AND p.row_key = c.id::text;
SELECT role, model_id = :challenger AS is_challenger, share, logged, served, labelled,
       round(auc::numeric, 4) AS auc, round(ks::numeric, 4) AS ks, round(bad_rate::numeric, 4) AS bad_rate
  FROM aimass.challenger_report('cc');
-- The report's AUC is each model's AUC on those rows, computed independently.
SELECT r.role, abs(r.auc - (SELECT aimass.auc(aimass.predict_proba(r.model_id, c), c.status = :'positive')
                              FROM credit_data c WHERE c.split = 'test')) < 1e-9 AS auc_matches
  FROM aimass.challenger_report('cc') r;

-- Promote: the challenger becomes the champion and the challenge ends.
SELECT strategy, model_id = :challenger AS is_challenger FROM aimass.deploy('cc', 'promote');
SELECT count(DISTINCT aimass.served_model('cc', c)) AS models_serving,
       min(aimass.served_model('cc', c)) = :challenger AS promoted_serves
  FROM credit_data c;
SELECT count(*) AS report_rows FROM aimass.challenger_report('cc');
-- Rollback goes back to the previous champion; challenger rows are not champions.
SELECT strategy, model_id = :champion AS is_first FROM aimass.deploy('cc', 'rollback');
-- end_challenge keeps the champion.
SELECT strategy FROM aimass.deploy('cc', 'challenger', model_id => :challenger, share => 1, key_column => 'id');
SELECT min(aimass.served_model('cc', c)) = :challenger AS full_share_serves_challenger FROM credit_data c;
SELECT strategy, model_id = :champion AS champion_kept FROM aimass.deploy('cc', 'end_challenge');
SELECT min(aimass.served_model('cc', c)) = :champion AS champion_serves FROM credit_data c;
-- Without a key column the row's feature values route it.
SELECT strategy FROM aimass.deploy('cc', 'challenger', model_id => :challenger, share => 0.5);
SELECT abs(avg((aimass.served_model('cc', c) = :challenger)::int) - 0.5) < 0.05 AS share_met FROM credit_data c;
SELECT aimass.served_model('cc', a) = aimass.served_model('cc', b) AS same_features_same_model
  FROM credit_data a JOIN credit_data b ON b.id = a.id WHERE a.id = 7;

-- Errors.
\set VERBOSITY terse
SELECT * FROM aimass.deploy('cc', 'challenger', model_id => :challenger);
SELECT * FROM aimass.deploy('cc', 'challenger', share => 0.2);
SELECT * FROM aimass.deploy('cc', 'challenger', model_id => :challenger, share => 1.5);
SELECT * FROM aimass.deploy('cc', 'challenger', model_id => :champion, share => 0.2);
SELECT * FROM aimass.deploy('cc', 'challenger', model_id => :other_project_model, share => 0.2);
SELECT * FROM aimass.deploy('cc', 'best_score', model_id => :challenger);
SELECT strategy FROM aimass.deploy('cc', 'challenger', model_id => :challenger, share => 0.5, key_column => 'customer_no');
SELECT aimass.predict_proba('cc', c) FROM credit_data c WHERE id = 1;
SELECT strategy FROM aimass.deploy('cc', 'end_challenge');
SELECT * FROM aimass.deploy('cc', 'end_challenge');
SELECT * FROM aimass.deploy('cc', 'promote');
\set VERBOSITY default
DROP TABLE cc_live;

-- explain follows the routing: a row the challenger serves is explained by the challenger.
CREATE TEMP TABLE explained_by_champion AS
SELECT c.id, e.* FROM credit_data c, aimass.explain('cc', c, 5) e WHERE c.id <= 20;
SELECT strategy FROM aimass.deploy('cc', 'challenger', model_id => :challenger, share => 1, key_column => 'id');
CREATE TEMP TABLE explained_routed AS
SELECT c.id, e.* FROM credit_data c, aimass.explain('cc', c, 5) e WHERE c.id <= 20;
SELECT strategy FROM aimass.deploy(:challenger);
SELECT (SELECT count(*) FROM explained_routed) = 100 AS five_reasons_each,
       (SELECT count(*) FROM (SELECT c.id, e.* FROM credit_data c, aimass.explain('cc', c, 5) e WHERE c.id <= 20
                              EXCEPT SELECT * FROM explained_routed) d) AS differ_from_challenger_as_champion,
       (SELECT count(*) FROM (SELECT * FROM explained_routed EXCEPT SELECT * FROM explained_by_champion) d) > 0
         AS differ_from_the_champion;
