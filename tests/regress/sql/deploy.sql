-- Deployment strategies; every deployment is a history row.
\i tests/regress/fixtures/credit_models.sql
SELECT p.name AS project, model_id, strategy FROM aimass.deployments d JOIN aimass.projects p ON p.id = d.project_id
 WHERE p.name = 'credit' ORDER BY d.id;
SELECT project, model_id, strategy FROM aimass.deploy('credit', 'most_recent');
SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(3, c) AS scores_with_model_3
  FROM credit_data c WHERE id = 1;
SELECT project, model_id, strategy FROM aimass.deploy('credit', 'rollback');
SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(1, c) AS scores_with_model_1
  FROM credit_data c WHERE id = 1;
SELECT project, model_id, strategy FROM aimass.deploy(3);
SELECT project, model_id, strategy FROM aimass.deploy('credit');
SELECT count(*) AS credit_deployments FROM aimass.deployments d JOIN aimass.projects p ON p.id = d.project_id
 WHERE p.name = 'credit';
-- if_better: a worse model is stored but not deployed; 'always' deploys it.
SELECT deployed FROM aimass.train('credit', features => ARRAY['age'], deploy => 'if_better');
SELECT deployed FROM aimass.train('credit', features => ARRAY['age'], deploy => 'always');
SELECT project, model_id, strategy FROM aimass.deploy('credit', 'best_score');
