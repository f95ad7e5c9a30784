-- aimass 0.2.0 → 0.3.0: safe to install in a production database (issue 17).
--   - Monitors keep their relation's oid, owner and kind: a scheduled check reads that relation
--     only, as the monitor's creator, and refuses it once its owner or kind changed; failures are
--     counted with an exponential backoff and the last error is shown in monitoring_status.
--   - Reports of ad-hoc checks (aimass.check_drift) are marked: only scheduled checks raise and
--     resolve alerts, and only they make a monitor's status.
--   - aimass.run_monitor and the aimass.log_prediction trigger are C functions that run with the
--     caller's rights (no longer SECURITY DEFINER PL/pgSQL).
-- Run by ALTER EXTENSION aimass UPDATE; tested by tests/lifecycle/run.sh, which upgrades a catalog
-- written by 0.1.0 through 0.2.0 and compares the result with a fresh install.
\echo Use "ALTER EXTENSION aimass UPDATE" to load this file. \quit

ALTER TABLE aimass.monitors
    ADD COLUMN relation_id    regclass,
    ADD COLUMN relation_owner regrole,
    ADD COLUMN relation_kind  "char",
    ADD COLUMN failures       integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error     text,
    ADD COLUMN last_error_at  timestamptz;
-- The relation each monitor names now (a monitor whose relation is gone keeps NULL and reports an
-- error at its next check until it is configured again).
UPDATE aimass.monitors mo
   SET relation_id = c.oid::regclass, relation_owner = c.relowner::regrole, relation_kind = c.relkind
  FROM pg_catalog.pg_class c
 WHERE c.oid = pg_catalog.to_regclass(mo.relation);

ALTER TABLE aimass.drift_reports ADD COLUMN scheduled boolean NOT NULL DEFAULT true;

CREATE OR REPLACE FUNCTION aimass."run_monitor"(
	"project_id" bigint /* i64 */
) RETURNS TEXT /* Option < String > */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'run_monitor_wrapper';
COMMENT ON FUNCTION aimass.run_monitor(bigint) IS 'Runs one scheduled check of a monitor (used by the background worker): reads the monitored relation as the monitor''s creator; failures become error rows with a backoff.';

-- The triggers on users' tables keep pointing at the function, which is replaced in place.
CREATE OR REPLACE FUNCTION aimass."log_prediction"()
	RETURNS TRIGGER
	LANGUAGE c
	AS 'MODULE_PATHNAME', 'log_prediction_wrapper';
COMMENT ON FUNCTION aimass.log_prediction() IS 'Row trigger: logs a sampled share of rows, scored, into aimass.predictions. Arguments: project, share (0-1, default 1), key column.';

CREATE OR REPLACE VIEW aimass.monitoring_status AS
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
