-- aimass 0.1.0 → 0.2.0: governance (roles, audit log, the catalog written only through the
-- functions), champion/challenger deployments and model cards.
-- Run by ALTER EXTENSION aimass UPDATE; tested by tests/lifecycle/run.sh, which upgrades a
-- catalog written by 0.1.0 and compares the result with a fresh 0.2.0 install.
\echo Use "ALTER EXTENSION aimass UPDATE" to load this file. \quit

-- Champion/challenger deployments.
ALTER TABLE aimass.deployments
    ADD COLUMN role text NOT NULL DEFAULT 'champion' CHECK (role IN ('champion', 'challenger')),
    ADD COLUMN share float8 CHECK (share >= 0 AND share <= 1),
    ADD COLUMN key_column text,
    ADD CHECK ((role = 'challenger') = (share IS NOT NULL));
COMMENT ON TABLE aimass.deployments IS 'Deployment history. A project''s latest champion row is the model that scores; a challenger row newer than it takes a share of the calls (0: shadow).';
ALTER TABLE aimass.predictions
    ADD COLUMN role text NOT NULL DEFAULT 'champion' CHECK (role IN ('champion', 'challenger')),
    ADD COLUMN served boolean NOT NULL DEFAULT true;

CREATE OR REPLACE FUNCTION aimass.run_monitor(project_id bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m record;
    result text;
BEGIN
    SELECT mo.relation, mo.every, p.name INTO m
      FROM aimass.monitors mo JOIN aimass.projects p ON p.id = mo.project_id
     WHERE mo.project_id = run_monitor.project_id AND mo.enabled
       FOR UPDATE OF mo SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE aimass.monitors mo SET last_check_at = now(), next_check_at = now() + m.every
     WHERE mo.project_id = run_monitor.project_id;
    BEGIN
        SELECT CASE max(CASE c.status WHEN 'alert' THEN 3 WHEN 'warn' THEN 2 WHEN 'ok' THEN 1 ELSE 0 END)
                 WHEN 3 THEN 'alert' WHEN 2 THEN 'warn' WHEN 1 THEN 'ok' ELSE 'skipped' END
          INTO result FROM aimass.check_drift(m.name) c;
    EXCEPTION WHEN OTHERS THEN
        INSERT INTO aimass.drift_reports (check_id, project_id, relation, kind, status, message)
        VALUES (nextval('aimass.drift_checks_seq'), run_monitor.project_id, m.relation, 'check', 'error', SQLERRM);
        RAISE WARNING 'aimass: monitoring check of project "%" failed: %', m.name, SQLERRM;
        result := 'error';
    END;
    RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION aimass.log_prediction() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    share float8 := coalesce(TG_ARGV[1], '1')::float8;
    m record;
    row_json jsonb;
    row_key text;
    served bigint;
BEGIN
    IF TG_NARGS < 1 OR TG_LEVEL <> 'ROW' OR TG_OP NOT IN ('INSERT', 'UPDATE') THEN
        RAISE EXCEPTION 'aimass.log_prediction must be a row trigger on INSERT or UPDATE with the project name as its first argument'
              USING ERRCODE = '22023';
    END IF;
    IF share < 0 OR share > 1 THEN
        RAISE EXCEPTION 'aimass.log_prediction: the share must be between 0 and 1, not %', share USING ERRCODE = '22023';
    END IF;
    IF random() >= share THEN
        RETURN NULL;
    END IF;
    row_json := to_jsonb(NEW);
    row_key := CASE WHEN TG_NARGS > 2 THEN row_json ->> TG_ARGV[2] END;
    served := aimass.served_model(TG_ARGV[0], NEW);
    -- The champion, and a challenger deployed after it: both score the row, one served it.
    FOR m IN
        WITH champion AS (
            SELECT d.id, d.project_id, d.model_id FROM aimass.deployments d JOIN aimass.projects p ON p.id = d.project_id
             WHERE p.name = TG_ARGV[0] AND d.role = 'champion' ORDER BY d.id DESC LIMIT 1)
        SELECT c.project_id, c.model_id, 'champion' AS role FROM champion c
        UNION ALL
        (SELECT d.project_id, d.model_id, 'challenger' FROM aimass.deployments d, champion c
          WHERE d.project_id = c.project_id AND d.role = 'challenger' AND d.id > c.id ORDER BY d.id DESC LIMIT 1)
    LOOP
        INSERT INTO aimass.predictions (project_id, model_id, row_key, features, score, role, served)
        SELECT m.project_id, m.model_id, row_key,
               (SELECT coalesce(jsonb_object_agg(f ->> 'name', row_json -> (f ->> 'name')), '{}')
                  FROM jsonb_array_elements(mo.features) f),
               CASE WHEN mo.task IN ('binary', 'anomaly') THEN aimass.predict_proba(m.model_id, NEW)
                    ELSE aimass.predict(m.model_id, NEW) END,
               m.role, m.model_id = served
          FROM aimass.models mo WHERE mo.id = m.model_id;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE VIEW aimass.models_overview AS
SELECT p.name AS project,
       m.id AS model_id,
       m.algorithm,
       m.task,
       CASE m.task WHEN 'binary' THEN 'auc' ELSE 'rmse' END AS headline_metric,
       (m.metrics -> 'test' ->> CASE m.task WHEN 'binary' THEN 'auc' ELSE 'rmse' END)::float8 AS headline_value,
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
LEFT JOIN LATERAL (
    SELECT model_id FROM aimass.deployments WHERE project_id = p.id AND role = 'champion' ORDER BY id DESC LIMIT 1
) d ON true;

-- The audit log.
CREATE TABLE aimass.audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    role          name NOT NULL,
    session_role  name NOT NULL DEFAULT session_user,
    action        text NOT NULL CHECK (action IN ('train', 'deploy', 'rollback', 'monitor', 'unmonitor', 'predict_batch')),
    project       text,
    model_id      bigint,
    arguments     jsonb NOT NULL DEFAULT '{}',
    xact          xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX audit_log_project_idx ON aimass.audit_log (project, at);
COMMENT ON TABLE aimass.audit_log IS 'Who trained, deployed, rolled back, changed monitoring and scored in bulk: role, time, project, model and arguments. Append-only except for superusers.';

-- Append-only: only a superuser may change or remove audit rows.
CREATE FUNCTION aimass._audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'aimass.audit_log is append-only: % is not allowed', TG_OP
              USING ERRCODE = '42501', HINT = 'Only a superuser may change or remove audit rows.';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON aimass.audit_log
    FOR EACH ROW EXECUTE FUNCTION aimass._audit_log_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON aimass.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION aimass._audit_log_append_only();
SELECT pg_catalog.pg_extension_config_dump('aimass.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.audit_log_id_seq', '');

-- Functions: deploy takes the challenger arguments; predict_batch writes the audit log.
DROP FUNCTION aimass.deploy(text, text);
CREATE FUNCTION aimass.deploy(
    "project_name" TEXT,
    "strategy" TEXT DEFAULT 'best_score',
    "model_id" bigint DEFAULT NULL,
    "share" double precision DEFAULT NULL,
    "key_column" TEXT DEFAULT NULL
) RETURNS TABLE ("deployment_id" bigint, "project" TEXT, "model_id" bigint, "strategy" TEXT)
VOLATILE PARALLEL UNSAFE LANGUAGE c AS 'MODULE_PATHNAME', 'deploy_wrapper';
ALTER FUNCTION aimass.predict_batch(text, regclass, text) VOLATILE;
ALTER FUNCTION aimass.predict_batch(bigint, regclass, text) VOLATILE;
CREATE FUNCTION aimass.served_model("project_name" TEXT, "row" anyelement) RETURNS bigint
STRICT STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'served_model_wrapper';
CREATE FUNCTION aimass.model_card("model_id" bigint, "format" TEXT DEFAULT 'html') RETURNS TEXT
STRICT STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'model_card_wrapper';

-- The champion against its challenger on the prediction log since the challenge began: both
-- models score every logged row, so the metrics compare them on the same labelled rows.
CREATE FUNCTION aimass.challenger_report(project_name text)
RETURNS TABLE (role text, model_id bigint, share float8, logged bigint, served bigint, labelled bigint,
               auc float8, ks float8, bad_rate float8, mean_score float8)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH champion AS (
        SELECT d.id, d.project_id, d.model_id FROM aimass.deployments d
          JOIN aimass.projects p ON p.id = d.project_id
         WHERE p.name = project_name AND d.role = 'champion' ORDER BY d.id DESC LIMIT 1),
    challenger AS (
        SELECT d.id, d.model_id, d.share, d.deployed_at FROM aimass.deployments d, champion c
         WHERE d.project_id = c.project_id AND d.role = 'challenger' AND d.id > c.id ORDER BY d.id DESC LIMIT 1),
    contenders AS (
        SELECT 'champion' AS role, c.model_id, NULL::float8 AS share, 1 AS ord FROM champion c
        UNION ALL
        SELECT 'challenger', ch.model_id, ch.share, 2 FROM challenger ch)
    SELECT k.role, k.model_id, k.share, count(pr.id), count(pr.id) FILTER (WHERE pr.served),
           count(pr.label),
           aimass.auc(pr.score, pr.label = mo.target ->> 'positive') FILTER (WHERE pr.label IS NOT NULL),
           aimass.ks(pr.score, pr.label = mo.target ->> 'positive') FILTER (WHERE pr.label IS NOT NULL),
           avg((pr.label = mo.target ->> 'positive')::int) FILTER (WHERE pr.label IS NOT NULL),
           avg(pr.score)
      FROM contenders k
      JOIN aimass.models mo ON mo.id = k.model_id
      CROSS JOIN challenger ch
      LEFT JOIN aimass.predictions pr
             ON pr.project_id = mo.project_id AND pr.model_id = k.model_id AND pr.role = k.role
            AND pr.logged_at >= ch.deployed_at
     GROUP BY k.role, k.model_id, k.share, k.ord
     ORDER BY k.ord
$$;
COMMENT ON FUNCTION aimass.challenger_report(text) IS 'Champion against challenger on the labelled rows of the prediction log since the challenge began.';

-- Roles and privileges (as a fresh install grants them).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'aimass_scorer') THEN
        CREATE ROLE aimass_scorer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'aimass_analyst') THEN
        CREATE ROLE aimass_analyst NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'aimass_admin') THEN
        CREATE ROLE aimass_admin NOLOGIN;
    END IF;
    IF NOT pg_catalog.pg_has_role('aimass_analyst', 'aimass_scorer', 'MEMBER') THEN
        GRANT aimass_scorer TO aimass_analyst;
    END IF;
    IF NOT pg_catalog.pg_has_role('aimass_admin', 'aimass_analyst', 'MEMBER') THEN
        GRANT aimass_analyst TO aimass_admin;
    END IF;
END
$roles$;
COMMENT ON ROLE aimass_scorer IS 'aimass: may score with deployed models (predict, predict_proba, explain, predict_batch).';
COMMENT ON ROLE aimass_analyst IS 'aimass: may train, evaluate, profile and read the catalog; not deploy.';
COMMENT ON ROLE aimass_admin IS 'aimass: may deploy, roll back, configure monitoring and read the audit log.';

GRANT USAGE ON SCHEMA aimass TO PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA aimass FROM PUBLIC;

DO $grants$
DECLARE
    grants CONSTANT text[][] := ARRAY[
        ['PUBLIC', 'auc'], ['PUBLIC', 'ks'], ['PUBLIC', 'gini'], ['PUBLIC', 'brier'],
        ['PUBLIC', 'log_loss'], ['PUBLIC', 'iv'], ['PUBLIC', 'psi'], ['PUBLIC', 'roc_curve'],
        ['PUBLIC', 'lift_table'], ['PUBLIC', 'calibration_table'],
        ['aimass_scorer', 'predict'], ['aimass_scorer', 'predict_proba'], ['aimass_scorer', 'explain'],
        ['aimass_scorer', 'score_points'], ['aimass_scorer', 'predict_batch'],
        ['aimass_scorer', 'served_model'],
        ['aimass_analyst', 'train'], ['aimass_analyst', 'evaluate'], ['aimass_analyst', 'profile'],
        ['aimass_analyst', 'clean'], ['aimass_analyst', 'apply_cleaning'], ['aimass_analyst', 'bin'],
        ['aimass_analyst', 'select_features'], ['aimass_analyst', 'model_features'],
        ['aimass_analyst', 'coefficients'], ['aimass_analyst', 'scorecard'],
        ['aimass_analyst', 'check_drift'], ['aimass_analyst', 'model_card'],
        ['aimass_analyst', 'challenger_report'],
        ['aimass_admin', 'deploy'], ['aimass_admin', 'monitor'], ['aimass_admin', 'unmonitor'],
        ['aimass_admin', 'run_monitor'], ['aimass_admin', 'log_prediction']
    ];
    g text[];
    f regprocedure;
BEGIN
    FOREACH g SLICE 1 IN ARRAY grants LOOP
        FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
                  WHERE p.pronamespace = 'aimass'::regnamespace AND p.proname = g[2] LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, g[1]);
        END LOOP;
    END LOOP;
END
$grants$;

GRANT SELECT ON aimass.projects, aimass.deployments TO aimass_scorer;
GRANT SELECT ON aimass.snapshots, aimass.models, aimass.cleaning_recipes, aimass.binnings, aimass.monitors,
                aimass.drift_reports, aimass.alerts, aimass.predictions, aimass.models_overview,
                aimass.monitoring_status TO aimass_analyst;
GRANT UPDATE (label) ON aimass.predictions TO aimass_analyst;
GRANT SELECT ON aimass.audit_log TO aimass_admin;
