-- aimass 0.3.0 → 0.4.0: ALTER EXTENSION aimass UPDATE TO '0.4.0'.
-- Model format 4 (the SVM as aimass's own struct) needs no catalog change: format-3 artifacts are
-- read and upgraded as they are loaded, and keep artifact_format = 3.

-- aimass.hyperparameters(algorithm): the hyperparameters with a spec.
CREATE FUNCTION aimass."hyperparameters"(
	"algorithm" TEXT
) RETURNS TABLE (
	"name" TEXT,
	"type_name" TEXT,
	"default_value" jsonb,
	"range" TEXT,
	"doc" TEXT
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'hyperparameters_wrapper';
-- As a fresh install grants it: revoked from PUBLIC with everything, then granted to PUBLIC.
REVOKE EXECUTE ON FUNCTION aimass.hyperparameters(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aimass.hyperparameters(text) TO PUBLIC;

-- One definition of a project's current deployment: the view, and the readers rewritten on it.
-- A project's current deployment, the one definition every reader uses (the scoring cache,
-- models_overview, challenger_report): its latest champion row, and the latest challenger row
-- newer than that champion, if any.
CREATE VIEW aimass.current_deployments AS
SELECT p.id AS project_id,
       p.name AS project,
       c.id AS deployment_id,
       c.model_id,
       c.deployed_at,
       ch.id AS challenger_deployment_id,
       ch.model_id AS challenger_model_id,
       ch.share AS challenger_share,
       ch.key_column AS challenger_key_column,
       ch.deployed_at AS challenger_deployed_at
FROM aimass.projects p
JOIN LATERAL (
    SELECT d.id, d.model_id, d.deployed_at FROM aimass.deployments d
     WHERE d.project_id = p.id AND d.role = 'champion' ORDER BY d.id DESC LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT d.id, d.model_id, d.share, d.key_column, d.deployed_at FROM aimass.deployments d
     WHERE d.project_id = p.id AND d.role = 'challenger' AND d.id > c.id ORDER BY d.id DESC LIMIT 1
) ch ON true;
COMMENT ON VIEW aimass.current_deployments IS 'Per deployed project: the champion that scores and the challenger that takes a share of the calls, if any.';

CREATE OR REPLACE VIEW aimass.models_overview AS
SELECT p.name AS project,
       m.id AS model_id,
       m.algorithm,
       m.task,
       CASE m.task WHEN 'regression' THEN 'rmse' WHEN 'clustering' THEN 'inertia' ELSE 'auc' END AS headline_metric,
       (m.metrics -> 'test' ->> CASE m.task WHEN 'regression' THEN 'rmse' WHEN 'clustering' THEN 'inertia' ELSE 'auc' END)::float8
         AS headline_value,
       (m.metrics -> 'test' ->> 'auc')::float8 AS test_auc,
       (m.metrics -> 'test' ->> 'ks')::float8 AS test_ks,
       (m.metrics -> 'test' ->> 'rmse')::float8 AS test_rmse,
       s.train_rows,
       s.test_rows,
       COALESCE(m.id = d.model_id, false) AS deployed,
       m.created_at
FROM aimass.models m
JOIN aimass.projects p ON p.id = m.project_id
JOIN aimass.snapshots s ON s.id = m.snapshot_id
LEFT JOIN aimass.current_deployments d ON d.project_id = p.id;
GRANT SELECT ON aimass.current_deployments TO aimass_scorer;

CREATE OR REPLACE FUNCTION aimass.challenger_report(project_name text)
RETURNS TABLE (role text, model_id bigint, share float8, logged bigint, served bigint, labelled bigint,
               auc float8, ks float8, bad_rate float8, mean_score float8)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH challenge AS (
        SELECT * FROM aimass.current_deployments
         WHERE project = project_name AND challenger_model_id IS NOT NULL),
    contenders AS (
        SELECT 'champion' AS role, c.model_id, NULL::float8 AS share, 1 AS ord, c.challenger_deployed_at AS since
          FROM challenge c
        UNION ALL
        SELECT 'challenger', c.challenger_model_id, c.challenger_share, 2, c.challenger_deployed_at FROM challenge c)
    SELECT k.role, k.model_id, k.share, count(pr.id), count(pr.id) FILTER (WHERE pr.served),
           count(pr.label),
           aimass.auc(pr.score, pr.label = mo.target ->> 'positive') FILTER (WHERE pr.label IS NOT NULL),
           aimass.ks(pr.score, pr.label = mo.target ->> 'positive') FILTER (WHERE pr.label IS NOT NULL),
           avg((pr.label = mo.target ->> 'positive')::int) FILTER (WHERE pr.label IS NOT NULL),
           avg(pr.score)
      FROM contenders k
      JOIN aimass.models mo ON mo.id = k.model_id
      LEFT JOIN aimass.predictions pr
             ON pr.project_id = mo.project_id AND pr.model_id = k.model_id AND pr.role = k.role
            AND pr.logged_at >= k.since
     GROUP BY k.role, k.model_id, k.share, k.ord
     ORDER BY k.ord
$$;
COMMENT ON FUNCTION aimass.challenger_report(text) IS 'Champion against challenger on the labelled rows of the prediction log since the challenge began.';
