//! The catalog tables, created by `CREATE EXTENSION aimass` before any function.

pgrx::extension_sql!(
    r#"
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
    deployed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    deployed_by  name NOT NULL DEFAULT current_user
);
CREATE INDEX deployments_project_idx ON aimass.deployments (project_id, id DESC);
COMMENT ON TABLE aimass.deployments IS 'Deployment history; the latest row of a project is the model that scores.';

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

CREATE VIEW aimass.models_overview AS
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
    SELECT model_id FROM aimass.deployments WHERE project_id = p.id ORDER BY id DESC LIMIT 1
) d ON true;

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
"#,
    name = "catalog",
    bootstrap
);
