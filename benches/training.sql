-- Training time on bench_credit (benches/generate.sql): gradient boosting with 100 trees and with 1
-- tree, on one and two threads, and logistic regression. Each call's DEBUG1 line splits its time
-- into reading, preparing, the fit, scoring both parts for the metrics, and storing; the fit is
-- what benches/training.py's LightGBM and scikit-learn fit times compare with.
\timing on
\pset footer off
SET aimass.progress_interval = -1;
-- DEBUG1 shows where each training call's time went (read, prepare, fit, score, store).
SET client_min_messages = debug1;
SET aimass.max_threads = 1;
\echo '-- gradient_boosting, 1 tree, 1 thread'
SELECT metrics #>> '{test,auc}' AS test_auc FROM aimass.train('bench_gb1', 'bench_credit', 'bad', algorithm => 'gradient_boosting',
  exclude => ARRAY['id', 'applied_at', 'merchant'], deploy => 'never', hyperparams => '{"n_estimators": 1}');
\echo '-- gradient_boosting, 100 trees, 1 thread'
SELECT metrics #>> '{test,auc}' AS test_auc FROM aimass.train('bench_gb', 'bench_credit', 'bad', algorithm => 'gradient_boosting',
  exclude => ARRAY['id', 'applied_at', 'merchant'], deploy => 'never');
SET aimass.max_threads = 2;
\echo '-- gradient_boosting, 1 tree, 2 threads'
SELECT metrics #>> '{test,auc}' AS test_auc FROM aimass.train('bench_gb1', 'bench_credit', 'bad', algorithm => 'gradient_boosting',
  exclude => ARRAY['id', 'applied_at', 'merchant'], deploy => 'never', hyperparams => '{"n_estimators": 1}');
\echo '-- gradient_boosting, 100 trees, 2 threads'
SELECT metrics #>> '{test,auc}' AS test_auc FROM aimass.train('bench_gb', 'bench_credit', 'bad', algorithm => 'gradient_boosting',
  exclude => ARRAY['id', 'applied_at', 'merchant'], deploy => 'never');
\echo '-- logistic'
SELECT metrics #>> '{test,auc}' AS test_auc FROM aimass.train('bench_logistic', 'bench_credit', 'bad',
  exclude => ARRAY['id', 'applied_at', 'merchant'], deploy => 'never');
