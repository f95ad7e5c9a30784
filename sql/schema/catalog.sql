-- The catalog tables, created by CREATE EXTENSION aimass before any function (bootstrap).
CREATE TABLE aimass.projects (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    task        text NOT NULL CHECK (task IN ('binary', 'regression', 'anomaly', 'clustering')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE aimass.projects IS 'A modelling problem: one target on one kind of data, many models over time.';

CREATE TABLE aimass.snapshots (
    id            bigserial PRIMARY KEY,
    relation      text NOT NULL,
    columns       jsonb NOT NULL,
    row_count     bigint NOT NULL,
    train_rows    bigint NOT NULL,
    test_rows     bigint NOT NULL,
    split         jsonb NOT NULL,
    content_hash  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE aimass.snapshots IS 'What a model was trained on: relation, columns, rows, split, and an order-independent hash of the rows.';

CREATE TABLE aimass.models (
    id               bigserial PRIMARY KEY,
    project_id       bigint NOT NULL REFERENCES aimass.projects (id),
    algorithm        text NOT NULL,
    task             text NOT NULL,
    hyperparams      jsonb NOT NULL,
    preprocessing    jsonb NOT NULL,
    features         jsonb NOT NULL,
    target           jsonb NOT NULL,
    metrics          jsonb NOT NULL,
    snapshot_id      bigint NOT NULL REFERENCES aimass.snapshots (id),
    training_args    jsonb NOT NULL,
    reference        jsonb NOT NULL DEFAULT '{}',
    artifact         bytea NOT NULL,
    artifact_format  integer NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       name NOT NULL DEFAULT current_user
);
CREATE INDEX models_project_idx ON aimass.models (project_id, id);
COMMENT ON TABLE aimass.models IS 'Trained models: the artifact (a versioned binary) with its recipe, features, hyperparameters and metrics.';
COMMENT ON COLUMN aimass.models.reference IS 'Training distributions for drift monitoring: {"features": {name: histogram}, "score": histogram}.';

CREATE TABLE aimass.deployments (
    id           bigserial PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES aimass.projects (id),
    model_id     bigint NOT NULL REFERENCES aimass.models (id),
    strategy     text NOT NULL,
    role         text NOT NULL DEFAULT 'champion' CHECK (role IN ('champion', 'challenger')),
    share        float8 CHECK (share >= 0 AND share <= 1),
    key_column   text,
    deployed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    deployed_by  name NOT NULL DEFAULT current_user,
    CHECK ((role = 'challenger') = (share IS NOT NULL))
);
CREATE INDEX deployments_project_idx ON aimass.deployments (project_id, id DESC);
COMMENT ON TABLE aimass.deployments IS 'Deployment history. A project''s latest champion row is the model that scores; a challenger row newer than it takes a share of the calls (0: shadow).';

CREATE TABLE aimass.cleaning_recipes (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,
    destination  text NOT NULL,
    options      jsonb NOT NULL,
    recipe       jsonb NOT NULL,
    report       jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE aimass.cleaning_recipes IS 'Fitted cleanings (fences, fill values, dropped columns) from aimass.clean, re-applied by aimass.apply_cleaning.';

CREATE TABLE aimass.binnings (
    id           bigserial PRIMARY KEY,
    relation     text NOT NULL,
    target       text NOT NULL,
    method       text NOT NULL,
    options      jsonb NOT NULL,
    columns      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE aimass.binnings IS 'Supervised binnings from aimass.bin: per column its bins, counts, WOE and IV.';

CREATE TABLE aimass.monitors (
    project_id     bigint PRIMARY KEY REFERENCES aimass.projects (id),
    relation       text NOT NULL,
    options        jsonb NOT NULL,
    every          interval NOT NULL CHECK (every > '0'),
    enabled        boolean NOT NULL DEFAULT true,
    next_check_at  timestamptz NOT NULL DEFAULT now(),
    last_check_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     name NOT NULL DEFAULT current_user,
    relation_id    regclass,
    relation_owner regrole,
    relation_kind  "char",
    failures       integer NOT NULL DEFAULT 0,
    last_error     text,
    last_error_at  timestamptz
);
COMMENT ON TABLE aimass.monitors IS 'What aimass.monitor watches: per project the live relation, the options, and when the next check is due.';

CREATE SEQUENCE aimass.drift_checks_seq;
CREATE TABLE aimass.drift_reports (
    id            bigserial PRIMARY KEY,
    check_id      bigint NOT NULL,
    project_id    bigint NOT NULL REFERENCES aimass.projects (id),
    model_id      bigint REFERENCES aimass.models (id),
    relation      text,
    window_start  timestamptz,
    window_end    timestamptz,
    live_rows     bigint,
    kind          text NOT NULL CHECK (kind IN ('feature', 'score', 'performance', 'check')),
    feature       text,
    statistic     text,
    value         float8,
    expected      float8,
    threshold     float8,
    status        text NOT NULL CHECK (status IN ('ok', 'warn', 'alert', 'skipped', 'error')),
    message       text,
    checked_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    scheduled     boolean NOT NULL DEFAULT true
);
CREATE INDEX drift_reports_project_idx ON aimass.drift_reports (project_id, check_id);
COMMENT ON TABLE aimass.drift_reports IS 'Every finding of every check: per feature and for the score PSI, Jensen-Shannon and KS; performance once labels arrive; failed checks as status error.';

CREATE TABLE aimass.alerts (
    id            bigserial PRIMARY KEY,
    project_id    bigint NOT NULL REFERENCES aimass.projects (id),
    model_id      bigint NOT NULL REFERENCES aimass.models (id),
    check_id      bigint NOT NULL,
    kind          text NOT NULL,
    feature       text NOT NULL,
    statistic     text NOT NULL,
    value         float8 NOT NULL,
    threshold     float8,
    status        text NOT NULL CHECK (status IN ('warn', 'alert')),
    raised_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seen_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_at   timestamptz
);
CREATE INDEX alerts_open_idx ON aimass.alerts (project_id, feature, statistic) WHERE resolved_at IS NULL;
COMMENT ON TABLE aimass.alerts IS 'Warnings and alerts of monitoring: open until a check finds the statistic back under its threshold.';

-- Per monitored project: the last check, its worst status, and the open alerts.
CREATE VIEW aimass.monitoring_status AS
SELECT p.name AS project,
       mo.relation,
       mo.enabled,
       mo.every,
       last.checked_at AS last_check,
       last.worst_status,
       (SELECT count(*) FROM aimass.alerts a WHERE a.project_id = p.id AND a.resolved_at IS NULL
                                                AND a.status = 'alert') AS open_alerts,
       (SELECT count(*) FROM aimass.alerts a WHERE a.project_id = p.id AND a.resolved_at IS NULL
                                                AND a.status = 'warn') AS open_warnings,
       mo.next_check_at,
       mo.failures,
       mo.last_error,
       mo.last_error_at
FROM aimass.projects p
LEFT JOIN aimass.monitors mo ON mo.project_id = p.id
LEFT JOIN LATERAL (
    SELECT max(r.checked_at) AS checked_at,
           (array_agg(r.status ORDER BY CASE r.status WHEN 'error' THEN 4 WHEN 'alert' THEN 3
                                                       WHEN 'warn' THEN 2 WHEN 'ok' THEN 1 ELSE 0 END DESC))[1]
             AS worst_status
      FROM aimass.drift_reports r
     WHERE r.project_id = p.id
       AND r.check_id = (SELECT max(check_id) FROM aimass.drift_reports WHERE project_id = p.id AND scheduled)
) last ON true
WHERE mo.project_id IS NOT NULL OR last.checked_at IS NOT NULL;

CREATE TABLE aimass.predictions (
    id          bigserial PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES aimass.projects (id),
    model_id    bigint NOT NULL REFERENCES aimass.models (id),
    row_key     text,
    features    jsonb NOT NULL,
    score       float8,
    label       text,
    role        text NOT NULL DEFAULT 'champion' CHECK (role IN ('champion', 'challenger')),
    served      boolean NOT NULL DEFAULT true,
    logged_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX predictions_project_idx ON aimass.predictions (project_id, logged_at);
CREATE INDEX predictions_key_idx ON aimass.predictions (project_id, row_key);
COMMENT ON TABLE aimass.predictions IS 'Logged predictions (aimass.log_prediction trigger): the model features of a sampled share of live rows, their score, and the label once known; monitorable like any relation.';

-- Any change to the tables scoring depends on empties every backend's scoring cache once it
-- commits (see src/scoring/cache.rs).
CREATE FUNCTION aimass._catalog_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM aimass._invalidate_scoring_cache();
    RETURN NULL;
END
$$;
CREATE TRIGGER scoring_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aimass.projects
    FOR EACH STATEMENT EXECUTE FUNCTION aimass._catalog_changed();
CREATE TRIGGER scoring_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aimass.models
    FOR EACH STATEMENT EXECUTE FUNCTION aimass._catalog_changed();
CREATE TRIGGER scoring_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aimass.deployments
    FOR EACH STATEMENT EXECUTE FUNCTION aimass._catalog_changed();

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

CREATE VIEW aimass.models_overview AS
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

SELECT pg_catalog.pg_extension_config_dump('aimass.projects', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.projects_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.snapshots_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.models', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.deployments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.cleaning_recipes', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.cleaning_recipes_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.binnings', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.binnings_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.monitors', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.drift_checks_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.drift_reports', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.drift_reports_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.alerts_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.predictions', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.predictions_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('aimass.audit_log_id_seq', '');
