-- aimass.challenger_report (src/api/deploy.rs).
-- The champion against its challenger on the prediction log since the challenge began: both
-- models score every logged row, so the metrics compare them on the same labelled rows.
CREATE FUNCTION aimass.challenger_report(project_name text)
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
