-- The monitoring background worker in a cluster of its own (tests/worker/run.sh) with aimass in
-- shared_preload_libraries and aimass.monitor_naptime = 1 s.
SET client_min_messages = warning;
CREATE EXTENSION aimass;
\i sql/sample_data.sql
RESET client_min_messages;
-- Polls a condition (each try sees what other sessions committed, and a fresh pg_stat_activity),
-- for up to timeout_s seconds.
CREATE FUNCTION wait_for(condition text, timeout_s int DEFAULT 60) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
BEGIN
    FOR i IN 1 .. timeout_s * 5 LOOP
        EXECUTE condition INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.2);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
    RETURN false;
END
$$;
-- The launcher runs; a round worker connects to each database once per naptime and leaves.
SELECT wait_for($$SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'aimass monitor launcher'$$) AS launcher;
SELECT name, setting FROM pg_settings WHERE name LIKE 'aimass.monitor%' ORDER BY name;
SELECT model_id AS m FROM aimass.train('live', 'credit_data', 'status', exclude => ARRAY['id'],
                                        split => 'column:split') \gset
-- Live applications from the same distribution as the training rows.
CREATE TABLE live_apps AS SELECT c.*, now() AS applied_at FROM credit_data c WHERE split = 'test';
SELECT aimass.monitor('live', 'live_apps', '{"timestamp_column": "applied_at", "every": "1 second"}') IS NOT NULL AS monitored;
-- Within a few naptimes the worker has checked, twice: every feature and the score ok, no alert.
SELECT wait_for($$SELECT count(DISTINCT check_id) >= 2 FROM aimass.drift_reports$$) AS checked;
SELECT count(*) FILTER (WHERE status <> 'ok') AS not_ok, count(DISTINCT feature) AS subjects,
       bool_and(live_rows = 891) AS all_rows
  FROM aimass.drift_reports;
SELECT count(*) AS alerts FROM aimass.alerts;
-- Shifted live rows: incomes halved, a flood of a home category training never saw.
UPDATE live_apps SET income = income / 2, home = CASE WHEN id % 2 = 0 THEN 'flood' ELSE home END;
SELECT wait_for($$SELECT count(*) = 2 FROM aimass.alerts WHERE status = 'alert' AND resolved_at IS NULL$$) AS alerted;
SELECT feature, statistic, status FROM aimass.alerts WHERE resolved_at IS NULL ORDER BY feature;
-- The shifted features alert in the latest check; every other feature stays ok.
SELECT feature, status FROM aimass.drift_reports
 WHERE check_id = (SELECT max(check_id) FROM aimass.drift_reports)
   AND kind = 'feature' AND statistic = 'psi' AND status <> 'ok' ORDER BY feature;
SELECT count(*) AS ok_features FROM aimass.drift_reports
 WHERE check_id = (SELECT max(check_id) FROM aimass.drift_reports)
   AND kind = 'feature' AND statistic = 'psi' AND status = 'ok';
SELECT project, worst_status, open_alerts FROM aimass.monitoring_status;
-- A monitored table that is dropped gives error rows; the worker lives on and keeps checking
-- the other project.
SELECT model_id AS g FROM aimass.train('gone', 'credit_data', 'status', features => ARRAY['age', 'income'],
                                        split => 'column:split') \gset
CREATE TABLE doomed AS SELECT * FROM live_apps;
SELECT aimass.monitor('gone', 'doomed', '{"every": "1 second"}') IS NOT NULL AS monitored;
SELECT wait_for($$SELECT count(*) > 0 FROM aimass.drift_reports r JOIN aimass.projects p ON p.id = r.project_id
                   WHERE p.name = 'gone'$$) AS gone_checked;
DROP TABLE doomed;
SELECT wait_for($$SELECT count(*) > 0 FROM aimass.drift_reports WHERE status = 'error'$$) AS error_row;
SELECT DISTINCT kind, status, message FROM aimass.drift_reports WHERE status = 'error';
SELECT max(id) AS last_report FROM aimass.drift_reports \gset
SELECT wait_for(format($$SELECT count(*) > 0 FROM aimass.drift_reports r JOIN aimass.projects p ON p.id = r.project_id
                          WHERE p.name = 'live' AND r.id > %s$$, :last_report)) AS still_checking;
-- No connection is held between rounds: most of the time no round worker is in the database.
SELECT wait_for($$SELECT count(*) = 0 FROM pg_stat_activity
                   WHERE backend_type = 'aimass monitor' AND datname = current_database()$$) AS not_held;
SELECT aimass.unmonitor('gone');
-- SIGHUP: switched off, no round runs; switched on, the checks are back.
ALTER SYSTEM SET aimass.monitor_enabled = off;
SELECT pg_reload_conf();
SELECT pg_sleep(2);
SELECT max(id) AS last_report FROM aimass.drift_reports \gset
SELECT pg_sleep(3);
SELECT count(*) AS reports_while_off FROM aimass.drift_reports WHERE id > :last_report;
ALTER SYSTEM RESET aimass.monitor_enabled;
SELECT pg_reload_conf();
SELECT wait_for(format($$SELECT count(*) > 0 FROM aimass.drift_reports WHERE id > %s$$, :last_report)) AS back;
