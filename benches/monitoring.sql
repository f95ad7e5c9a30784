-- One drift check (aimass.check_drift) over the 1M live rows of bench_credit (benches/generate.sql)
-- for a model of its 28 features trained on the first 100k rows, against a scan that only reads
-- the same columns and against scoring alone. Compare with benches/monitoring.py (psycopg + toad).
-- Each query runs twice; keep the second.
\timing on
\pset footer off
SET aimass.progress_interval = -1;
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_monitor_ref;
CREATE TABLE bench_monitor_ref AS SELECT * FROM bench_credit WHERE id <= 100000;
RESET client_min_messages;
\echo '-- the monitored model: logistic on the first 100k rows, 28 features'
SELECT model_id FROM aimass.train('bench_monitor', 'bench_monitor_ref', 'bad', exclude => ARRAY['id', 'applied_at'],
                                   deploy => 'always');
SELECT jsonb_array_length(features) AS features FROM aimass.models WHERE id = (SELECT max(id) FROM aimass.models);
\echo '-- floor: one scan reading the 28 columns'
SELECT count(age) + count(income) + count(debt) + count(assets) + count(seniority) + count(amount) + count(term)
     + count(rate) + count(utilization) + count(n_accounts) + count(n_inquiries) + count(dpd_30) + count(dpd_90)
     + count(months_since_delinq) + count(revol_bal) + count(dti) + count(expenses) + count(price) + count(home)
     + count(marital) + count(job) + count(purpose) + count(region) + count(channel) + count(education)
     + count(merchant) + count(has_phone) + count(has_email) AS non_null_cells
  FROM bench_credit;
SELECT count(age) + count(income) + count(debt) + count(assets) + count(seniority) + count(amount) + count(term)
     + count(rate) + count(utilization) + count(n_accounts) + count(n_inquiries) + count(dpd_30) + count(dpd_90)
     + count(months_since_delinq) + count(revol_bal) + count(dti) + count(expenses) + count(price) + count(home)
     + count(marital) + count(job) + count(purpose) + count(region) + count(channel) + count(education)
     + count(merchant) + count(has_phone) + count(has_email) AS non_null_cells
  FROM bench_credit;
\echo '-- scoring alone: predict_proba over the 1M rows'
SELECT round(sum(aimass.predict_proba('bench_monitor', b))::numeric, 2) FROM bench_credit b;
SELECT round(sum(aimass.predict_proba('bench_monitor', b))::numeric, 2) FROM bench_credit b;
\echo '-- aimass.check_drift over all 1M rows (sample_rows 0)'
SELECT aimass.monitor('bench_monitor', 'bench_credit', '{"sample_rows": 0}') IS NOT NULL AS monitored;
SELECT count(*) AS findings, count(*) FILTER (WHERE status <> 'ok') AS not_ok FROM aimass.check_drift('bench_monitor');
SELECT count(*) AS findings, count(*) FILTER (WHERE status <> 'ok') AS not_ok FROM aimass.check_drift('bench_monitor');
\echo '-- aimass.check_drift sampled to about 100k rows (the default)'
SELECT aimass.monitor('bench_monitor', 'bench_credit') IS NOT NULL AS monitored;
SELECT count(*) AS findings, count(*) FILTER (WHERE status <> 'ok') AS not_ok FROM aimass.check_drift('bench_monitor');
SELECT count(*) AS findings, count(*) FILTER (WHERE status <> 'ok') AS not_ok FROM aimass.check_drift('bench_monitor');
\echo '-- the largest PSIs of the last (sampled) check'
SELECT feature, round(value::numeric, 4) AS psi FROM aimass.drift_reports
 WHERE check_id = (SELECT max(check_id) FROM aimass.drift_reports) AND statistic = 'psi' ORDER BY value DESC LIMIT 5;
SELECT aimass.unmonitor('bench_monitor');
