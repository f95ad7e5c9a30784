-- Monitoring without the background worker: aimass.monitor, aimass.check_drift (an ad-hoc check:
-- it reports, but raises and resolves no alert), aimass.run_monitor (the scheduled check the
-- worker and pg_cron run: alerts that open and resolve), performance once labels arrive, and a
-- failing scheduled check turned into an error row.
\set VERBOSITY verbose
SELECT model_id AS m FROM aimass.train('watch', 'credit_data', 'status', exclude => ARRAY['id'],
                                        split => 'column:split') \gset
-- Live applications: the test rows, received an hour ago.
CREATE TABLE live_apps AS
SELECT c.*, now() - interval '1 hour' AS applied_at FROM credit_data c WHERE split = 'test';
SELECT jsonb_pretty(aimass.monitor('watch', 'live_apps', '{"timestamp_column": "applied_at", "every": "10 minutes"}'));
-- Same distribution as the training rows: every feature and the score stay ok.
SELECT kind, feature, statistic, round(value::numeric, 4) AS value, threshold, status
  FROM aimass.check_drift('watch') WHERE statistic = 'psi';
SELECT count(*) AS reports, count(DISTINCT check_id) AS checks, bool_and(live_rows = 891) AS all_rows,
       bool_and(window_end - window_start = interval '1 day') AS one_day_window
  FROM aimass.drift_reports;
SELECT count(*) AS alerts FROM aimass.alerts;
-- The PSI of a feature is the aimass.psi aggregate over the training rows (reference) and the
-- live rows, and the formula by hand on the reference's bins (an empty cell counting 1).
WITH live AS (SELECT value FROM aimass.drift_reports
               WHERE check_id = (SELECT max(check_id) FROM aimass.drift_reports)
                 AND feature = 'income' AND statistic = 'psi'),
     agg AS (SELECT aimass.psi(income, is_ref) AS psi
               FROM (SELECT income, true AS is_ref FROM credit_data WHERE split = 'train'
                     UNION ALL SELECT income, false FROM live_apps) u),
     ref AS (SELECT reference #> '{features,income}' AS r FROM aimass.models WHERE id = :m),
     edges AS (SELECT array_agg(e::float8 ORDER BY o) AS e
                 FROM ref, jsonb_array_elements_text(r -> 'edges') WITH ORDINALITY x(e, o)),
     expected AS (SELECT (o - 1)::int AS bin, c::float8 AS n
                    FROM ref, jsonb_array_elements_text(r -> 'counts') WITH ORDINALITY x(c, o)),
     actual AS (SELECT CASE WHEN income IS NULL THEN array_length(e, 1) + 1 ELSE width_bucket(income, e) END AS bin,
                       count(*)::float8 AS n
                  FROM live_apps, edges GROUP BY 1),
     cells AS (SELECT greatest(coalesce(x.n, 0), 1) AS e, greatest(coalesce(a.n, 0), 1) AS a
                 FROM expected x FULL JOIN actual a USING (bin)
                WHERE coalesce(x.n, 0) + coalesce(a.n, 0) > 0),
     hand AS (SELECT sum((a / (SELECT sum(n) FROM actual) - e / (SELECT sum(n) FROM expected))
                         * ln((a / (SELECT sum(n) FROM actual)) / (e / (SELECT sum(n) FROM expected)))) AS psi
                FROM cells)
SELECT abs(live.value - agg.psi) < 1e-12 AS equals_aggregate, abs(live.value - hand.psi) < 1e-12 AS equals_hand
  FROM live, agg, hand;
-- Incomes halved and a flood of a category training never saw: those two alert, the score warns,
-- every other feature stays ok.
UPDATE live_apps SET income = income / 2, home = CASE WHEN id % 2 = 0 THEN 'flood' ELSE home END;
SELECT kind, feature, statistic, round(value::numeric, 4) AS value, threshold, status
  FROM aimass.check_drift('watch') WHERE status <> 'ok' ORDER BY feature, statistic;
SELECT count(*) FILTER (WHERE status = 'ok') AS ok_features
  FROM aimass.check_drift('watch') WHERE kind = 'feature' AND statistic = 'psi';
-- Ad-hoc checks raised no alert; the scheduled checks do (twice: the second refreshes them).
SELECT count(*) AS alerts FROM aimass.alerts;
SELECT aimass.run_monitor(id) AS worst FROM aimass.projects WHERE name = 'watch';
SELECT aimass.run_monitor(id) AS worst FROM aimass.projects WHERE name = 'watch';
-- One open alert per shifted feature: the second check refreshed them instead of raising anew.
SELECT feature, statistic, status, round(value::numeric, 4) AS value, threshold, resolved_at IS NULL AS open
  FROM aimass.alerts ORDER BY id;
SELECT project, relation, worst_status, open_alerts, open_warnings FROM aimass.monitoring_status;
-- Back to normal: the alerts resolve.
UPDATE live_apps l SET income = c.income, home = c.home FROM credit_data c WHERE c.id = l.id;
SELECT count(*) FILTER (WHERE status <> 'ok') AS not_ok FROM aimass.check_drift('watch');
-- An ad-hoc check resolves nothing; the scheduled one does.
SELECT count(*) AS still_open FROM aimass.alerts WHERE resolved_at IS NULL;
SELECT aimass.run_monitor(id) AS worst FROM aimass.projects WHERE name = 'watch';
SELECT feature, status, resolved_at IS NOT NULL AS resolved FROM aimass.alerts ORDER BY id;
SELECT worst_status, open_alerts, open_warnings FROM aimass.monitoring_status;
-- `since` narrows the window: no rows since a minute ago, so the check is skipped.
SELECT kind, feature, statistic, value, threshold, status
  FROM aimass.check_drift('watch', since => now() - interval '1 minute');
-- Performance once labels arrive (30 days later): judged by the drop of AUC and KS from the
-- training test metrics.
CREATE TABLE labelled_apps AS
SELECT c.*, now() - interval '40 days' AS applied_at FROM credit_data c WHERE split = 'test';
SELECT aimass.monitor('watch', 'labelled_apps',
       '{"timestamp_column": "applied_at", "window": "30 days", "label_column": "status", "label_delay": "30 days"}') IS NOT NULL AS monitored;
SELECT c.statistic, round(c.value::numeric, 4) AS value,
       round(c.expected::numeric, 4) = round((m.metrics -> 'test' ->> c.statistic)::numeric, 4) AS expected_is_test_metric,
       c.status
  FROM aimass.check_drift('watch') c, aimass.models m
 WHERE c.kind = 'performance' AND m.id = :m;
-- The AUC is the one aimass.auc gives on the same rows.
SELECT round(aimass.auc(aimass.predict_proba('watch', l), l.status = 'bad')::numeric, 4) AS auc FROM labelled_apps l;
-- Labels scrambled for a third of the rows: AUC and KS drop, an alert opens.
UPDATE labelled_apps SET status = CASE status WHEN 'bad' THEN 'good' ELSE 'bad' END WHERE id % 3 = 0;
SELECT statistic, status FROM aimass.check_drift('watch') WHERE kind = 'performance' ORDER BY statistic;
SELECT aimass.run_monitor(id) AS worst FROM aimass.projects WHERE name = 'watch';
SELECT feature, statistic, status FROM aimass.alerts WHERE kind = 'performance' AND resolved_at IS NULL;
-- The scheduled path: run_monitor reschedules the monitor and runs the check.
SELECT aimass.run_monitor(id) AS worst FROM aimass.projects WHERE name = 'watch';
SELECT next_check_at - last_check_at AS every FROM aimass.monitors;
-- A dropped table: the scheduled check records an error row instead of failing.
DROP TABLE labelled_apps;
SET client_min_messages = error;
SELECT aimass.run_monitor(id) AS worst FROM aimass.projects WHERE name = 'watch';
RESET client_min_messages;
SELECT kind, status, message FROM aimass.drift_reports WHERE status = 'error';
SELECT worst_status FROM aimass.monitoring_status;
-- Errors a user can make.
SELECT aimass.check_drift('watch');
SELECT aimass.monitor('nobody', 'live_apps');
SELECT aimass.monitor('watch', 'live_apps', '{"windw": "1 day"}');
SELECT aimass.monitor('watch', 'live_apps', '{"timestamp_column": "income"}');
SELECT aimass.monitor('watch', 'live_apps', '{"every": "-1 hour"}');
SELECT aimass.monitor('watch', 'live_apps', '{"psi": {"warn": 0.5, "alert": 0.2}}');
SELECT aimass.monitor('watch', 'live_apps', '{"label_column": "nope"}');
SELECT aimass.unmonitor('watch') AS removed, aimass.unmonitor('watch') AS again;
SELECT * FROM aimass.check_drift('watch');
SELECT * FROM aimass.check_drift('watch', 'live_apps', since => now());
-- Without a monitor, a relation can still be checked by hand, with the default options.
SELECT count(*) AS findings, count(*) FILTER (WHERE status = 'ok') AS ok FROM aimass.check_drift('watch', 'live_apps');
-- Prediction logging: a row trigger logs (a share of) incoming rows, scored, into
-- aimass.predictions, which is monitored even after the source rows are gone.
CREATE TABLE incoming (LIKE credit_data);
CREATE TRIGGER log_scores AFTER INSERT ON incoming
  FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('watch', '1', 'id');
INSERT INTO incoming SELECT * FROM credit_data WHERE split = 'test';
SELECT count(*) AS logged, bool_and(p.model_id = :m) AS deployed_model,
       bool_and(abs(p.score - aimass.predict_proba('watch', c)) < 1e-12) AS same_score,
       bool_and(p.features ? 'income' AND NOT p.features ? 'split' AND NOT p.features ? 'id') AS model_features_only
  FROM aimass.predictions p JOIN credit_data c ON c.id::text = p.row_key;
DELETE FROM incoming;
SELECT aimass.monitor('watch', 'aimass.predictions') ->> 'relation' AS relation;
-- The check on the log gives the same statistics, feature by feature, as the check on the live
-- table.
CREATE TEMP TABLE on_log AS SELECT * FROM aimass.check_drift('watch');
CREATE TEMP TABLE on_table AS SELECT * FROM aimass.check_drift('watch', 'live_apps');
SELECT count(*) AS findings, count(*) FILTER (WHERE abs(l.value - t.value) < 1e-12) AS equal
  FROM on_log l JOIN on_table t USING (kind, feature, statistic);
SELECT aimass.monitor('watch', 'aimass.predictions', '{"label_column": "label"}') IS NOT NULL AS monitored;
SELECT kind, statistic, status FROM aimass.check_drift('watch') WHERE kind = 'performance';
-- Labels arrive later, by key: performance on the log is the test AUC.
UPDATE aimass.predictions p SET label = c.status FROM credit_data c WHERE c.id::text = p.row_key;
SELECT statistic, round(value::numeric, 4) AS value, status FROM aimass.check_drift('watch')
 WHERE kind = 'performance' ORDER BY statistic;
-- A share: about a tenth of the rows are logged.
DROP TRIGGER log_scores ON incoming;
CREATE TRIGGER log_some AFTER INSERT ON incoming
  FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('watch', '0.1');
INSERT INTO incoming SELECT * FROM credit_data;
SELECT count(*) BETWEEN 300 AND 600 AS about_a_tenth, bool_and(row_key IS NULL) AS no_key
  FROM aimass.predictions WHERE label IS NULL;
-- Misuse.
CREATE TRIGGER log_bad AFTER INSERT ON incoming FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('nobody');
INSERT INTO incoming SELECT * FROM credit_data LIMIT 1;
DROP TRIGGER log_bad ON incoming;
CREATE TRIGGER log_bad AFTER INSERT ON incoming FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('watch', '2');
INSERT INTO incoming SELECT * FROM credit_data LIMIT 1;
