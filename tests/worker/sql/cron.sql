-- A pg_cron job that runs aimass.check_drift on a schedule (pg_cron 1.4: every minute at most).
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
RESET client_min_messages;
SELECT model_id AS m FROM aimass.train('cronned', 'credit_data', 'status', exclude => ARRAY['id'],
                                        split => 'column:split') \gset
CREATE TABLE cron_apps AS SELECT * FROM credit_data WHERE split = 'test';
SELECT cron.schedule('aimass-drift', '* * * * *',
                     $$SELECT count(*) FROM aimass.check_drift('cronned', 'cron_apps')$$) > 0 AS scheduled;
SELECT wait_for($$SELECT count(*) > 0 FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')$$, 90) AS ran;
SELECT status, return_message FROM cron.job_run_details ORDER BY runid LIMIT 1;
SELECT count(*) AS reports, count(*) FILTER (WHERE status = 'ok') AS ok
  FROM aimass.drift_reports r JOIN aimass.projects p ON p.id = r.project_id
 WHERE p.name = 'cronned' AND r.check_id = (SELECT min(check_id) FROM aimass.drift_reports r2 WHERE r2.project_id = p.id);
SELECT cron.unschedule('aimass-drift');
