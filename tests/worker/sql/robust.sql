-- What must not blind or wedge monitoring (after worker.sql, whose 'live' monitor still runs with
-- its income and home shifted): a check that errors (an ASSERT in a view, which PL/pgSQL's
-- EXCEPTION WHEN OTHERS does not catch) is counted and put off while the other monitors go on;
-- NaN and Infinity in live rows are counted in the report, not fatal; an ad-hoc check_drift of
-- other rows resolves none of a monitor's alerts and says which relation it read.
SELECT model_id AS w FROM aimass.train('wedge', 'credit_data', 'status', exclude => ARRAY['id'],
                                        split => 'column:split', deploy => 'always') \gset
CREATE FUNCTION boom() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN ASSERT false, 'a view that asserts'; RETURN true; END $$;
CREATE VIEW asserting AS SELECT * FROM credit_data WHERE boom();
SELECT max(id) AS last FROM aimass.drift_reports \gset
SELECT aimass.monitor('wedge', 'asserting', '{"every": "1 second"}') IS NOT NULL AS monitored;
SELECT wait_for($$SELECT failures >= 2 FROM aimass.monitoring_status WHERE project = 'wedge'$$) AS failing;
SELECT last_error, worst_status FROM aimass.monitoring_status WHERE project = 'wedge';
-- Put off exponentially: every × 2^failures after the last error.
SELECT next_check_at - last_error_at >= interval '1 second' * power(2, least(failures, 6)) - interval '1 second' AS backed_off
  FROM aimass.monitors m JOIN aimass.projects p ON p.id = m.project_id WHERE p.name = 'wedge';
SELECT wait_for(format($$SELECT count(*) > 0 FROM aimass.drift_reports r JOIN aimass.projects p ON p.id = r.project_id
                          WHERE p.name = 'live' AND r.id > %s AND r.status <> 'error'$$, :last)) AS others_go_on;
SELECT aimass.unmonitor('wedge');
-- One Infinity and one NaN in the live rows: counted and reported, the check goes on.
SELECT max(id) AS last FROM aimass.drift_reports \gset
UPDATE live_apps SET income = 'Infinity' WHERE id = (SELECT min(id) FROM live_apps);
UPDATE live_apps SET assets = 'NaN' WHERE id = (SELECT max(id) FROM live_apps);
SELECT wait_for(format($$SELECT count(*) > 0 FROM aimass.drift_reports WHERE id > %s AND statistic = 'non_finite'$$, :last)) AS counted;
SELECT feature, round(value::numeric, 4) AS value, status FROM aimass.drift_reports
 WHERE check_id = (SELECT max(check_id) FROM aimass.drift_reports WHERE statistic = 'non_finite')
   AND statistic IN ('non_finite', 'psi') AND status <> 'ok' ORDER BY feature, statistic;
SELECT feature, statistic, status FROM aimass.alerts a JOIN aimass.projects p ON p.id = a.project_id
 WHERE p.name = 'live' AND a.resolved_at IS NULL ORDER BY feature, statistic;
-- An analyst's ad-hoc check of rows back to normal reports them, and resolves nothing.
CREATE TABLE normal_apps AS SELECT c.*, now() AS applied_at FROM credit_data c WHERE split = 'test';
SELECT count(*) FILTER (WHERE status = 'ok') AS ok, count(*) FILTER (WHERE status <> 'ok') AS not_ok
  FROM aimass.check_drift('live', 'normal_apps');
SELECT DISTINCT relation, scheduled FROM aimass.drift_reports WHERE relation LIKE '%normal_apps';
SELECT feature, statistic FROM aimass.alerts a JOIN aimass.projects p ON p.id = a.project_id
 WHERE p.name = 'live' AND a.resolved_at IS NULL AND a.statistic = 'psi' ORDER BY feature;
