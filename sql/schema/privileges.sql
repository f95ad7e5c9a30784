-- The three roles, the grants and comments, after every function (finalize).
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

COMMENT ON FUNCTION aimass.run_monitor(bigint) IS 'Runs one scheduled check of a monitor (used by the background worker): reads the monitored relation as the monitor''s creator; failures become error rows with a backoff.';
COMMENT ON FUNCTION aimass.log_prediction() IS 'Row trigger: logs a sampled share of rows, scored, into aimass.predictions. Arguments: project, share (0-1, default 1), key column.';

GRANT USAGE ON SCHEMA aimass TO PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA aimass FROM PUBLIC;

DO $grants$
DECLARE
    grants CONSTANT text[][] := ARRAY[
        ['PUBLIC', 'auc'], ['PUBLIC', 'ks'], ['PUBLIC', 'gini'], ['PUBLIC', 'brier'],
        ['PUBLIC', 'log_loss'], ['PUBLIC', 'iv'], ['PUBLIC', 'psi'], ['PUBLIC', 'roc_curve'],
        ['PUBLIC', 'lift_table'], ['PUBLIC', 'calibration_table'], ['PUBLIC', 'hyperparameters'],
        ['aimass_scorer', 'predict'], ['aimass_scorer', 'predict_proba'], ['aimass_scorer', 'explain'],
        ['aimass_scorer', 'score_points'], ['aimass_scorer', 'predict_batch'],
        ['aimass_scorer', 'served_model'],
        ['aimass_analyst', 'train'], ['aimass_analyst', 'evaluate'], ['aimass_analyst', 'profile'],
        ['aimass_analyst', 'clean'], ['aimass_analyst', 'apply_cleaning'], ['aimass_analyst', 'bin'],
        ['aimass_analyst', 'select_features'], ['aimass_analyst', 'model_features'],
        ['aimass_analyst', 'coefficients'], ['aimass_analyst', 'scorecard'],
        ['aimass_analyst', 'check_drift'], ['aimass_analyst', 'model_card'],
        ['aimass_analyst', 'challenger_report'], ['aimass_analyst', '_newton_pass'],
        ['aimass_analyst', '_score_model'], ['aimass_analyst', '_shard_fit'],
        ['aimass_analyst', '_boost_pass'], ['aimass_analyst', '_bin_summary'],
        ['aimass_analyst', '_value_counts'], ['aimass_analyst', '_drift_score'],
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

GRANT SELECT ON aimass.projects, aimass.deployments, aimass.current_deployments TO aimass_scorer;
GRANT SELECT ON aimass.snapshots, aimass.models, aimass.cleaning_recipes, aimass.binnings, aimass.monitors,
                aimass.drift_reports, aimass.alerts, aimass.predictions, aimass.models_overview,
                aimass.monitoring_status TO aimass_analyst;
GRANT UPDATE (label) ON aimass.predictions TO aimass_analyst;
GRANT SELECT ON aimass.audit_log TO aimass_admin;
