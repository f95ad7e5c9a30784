-- Training time on bench_credit (benches/generate.sql): gradient boosting with 100 trees and with 1
-- tree (the difference is the fit: reading, preprocessing, the split and the metrics cancel out),
-- on one and two threads, and logistic regression. Compare with benches/training.py.
\timing on
\pset footer off
SET aimass.progress_interval = -1;
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
