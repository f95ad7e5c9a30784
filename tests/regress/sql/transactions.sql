-- Training and deployment are transactional: ROLLBACK leaves no trace, and an error inside a
-- transaction leaves nothing half-written.
\i tests/regress/fixtures/credit_models.sql
-- credit's deployment history: model 1, then model 3.
SELECT model_id FROM aimass.deploy(3);
SELECT (SELECT count(*) FROM aimass.models) AS models, (SELECT count(*) FROM aimass.deployments) AS deployments,
       (SELECT count(*) FROM aimass.snapshots) AS snapshots, (SELECT count(*) FROM aimass.projects) AS projects \gset before_
BEGIN;
SELECT deployed FROM aimass.train('rolled_back', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split');
SELECT project, strategy FROM aimass.deploy('credit', 'rollback');
ROLLBACK;
SELECT (SELECT count(*) FROM aimass.models) = :before_models AS models_same,
       (SELECT count(*) FROM aimass.deployments) = :before_deployments AS deployments_same,
       (SELECT count(*) FROM aimass.snapshots) = :before_snapshots AS snapshots_same,
       (SELECT count(*) FROM aimass.projects) = :before_projects AS projects_same;
-- The session that rolled back a deploy scores with the committed deployment again.
SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(m.model_id, c) AS scores_with_committed_model
  FROM credit_data c,
       (SELECT model_id FROM aimass.deployments d JOIN aimass.projects p ON p.id = d.project_id
         WHERE p.name = 'credit' ORDER BY d.id DESC LIMIT 1) m
 WHERE c.id = 1;
-- The same pipeline from a PL/pgSQL procedure.
CREATE PROCEDURE nightly_retrain() LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  SELECT * INTO r FROM aimass.train('nightly', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split');
  PERFORM aimass.deploy('nightly', 'most_recent');
  RAISE NOTICE 'nightly model % deployed, test rows %', r.model_id > 0, r.metrics -> 'test' -> 'rows';
END $$;
CALL nightly_retrain();
SELECT count(*) AS nightly_scored FROM credit_test c WHERE aimass.predict_proba('nightly', c) BETWEEN 0 AND 1;
