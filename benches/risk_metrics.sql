-- Risk-metric aggregates on bench_credit (benches/generate.sql, 1M rows) against the same figure
-- written in plain SQL. Each query runs twice; keep the second.
\timing on
\pset footer off
SET max_parallel_workers_per_gather = 0;
\echo '-- aimass.auc(income, bad)'
SELECT aimass.auc(income, bad) FROM bench_credit;
SELECT aimass.auc(income, bad) FROM bench_credit;
\echo '-- plain SQL AUC: Mann-Whitney with average ranks'
WITH r AS (SELECT bad, rank() OVER (ORDER BY income) + (count(*) OVER (PARTITION BY income) - 1) / 2.0 AS rk
             FROM bench_credit WHERE income IS NOT NULL)
SELECT (sum(rk) FILTER (WHERE bad) - sum(bad::int) * (sum(bad::int) + 1) / 2.0) / (sum(bad::int) * (count(*) - sum(bad::int))) FROM r;
WITH r AS (SELECT bad, rank() OVER (ORDER BY income) + (count(*) OVER (PARTITION BY income) - 1) / 2.0 AS rk
             FROM bench_credit WHERE income IS NOT NULL)
SELECT (sum(rk) FILTER (WHERE bad) - sum(bad::int) * (sum(bad::int) + 1) / 2.0) / (sum(bad::int) * (count(*) - sum(bad::int))) FROM r;
\echo '-- aimass.auc by region (20 groups)'
SELECT count(*) FROM (SELECT region, aimass.auc(income, bad) FROM bench_credit GROUP BY region) x;
SELECT count(*) FROM (SELECT region, aimass.auc(income, bad) FROM bench_credit GROUP BY region) x;
\echo '-- aimass.auc with 2 parallel workers'
SET max_parallel_workers_per_gather = 2;
SELECT aimass.auc(income, bad) FROM bench_credit;
SELECT aimass.auc(income, bad) FROM bench_credit;
SET max_parallel_workers_per_gather = 0;
\echo '-- aimass.iv(merchant, bad): 50k categories'
SELECT aimass.iv(merchant, bad) FROM bench_credit;
SELECT aimass.iv(merchant, bad) FROM bench_credit;
\echo '-- aimass.iv(purpose, bad): 10 categories'
SELECT aimass.iv(purpose, bad) FROM bench_credit;
SELECT aimass.iv(purpose, bad) FROM bench_credit;
\echo '-- aimass.psi(income, first half of the rows as reference)'
SELECT aimass.psi(income, id <= 500000) FROM bench_credit;
SELECT aimass.psi(income, id <= 500000) FROM bench_credit;
\echo '-- aimass.log_loss(utilization, bad)'
SELECT aimass.log_loss(utilization, bad) FROM bench_credit;
SELECT aimass.log_loss(utilization, bad) FROM bench_credit;
\echo '-- plain SQL log loss'
SELECT -avg(CASE WHEN bad THEN ln(greatest(utilization, 1e-15)) ELSE ln(greatest(1 - utilization, 1e-15)) END) FROM bench_credit;
SELECT -avg(CASE WHEN bad THEN ln(greatest(utilization, 1e-15)) ELSE ln(greatest(1 - utilization, 1e-15)) END) FROM bench_credit;
\echo '-- aimass.bin, tree, 8 numeric columns'
SELECT count(*) FROM aimass.bin('bench_credit', 'bad', ARRAY['age', 'income', 'debt', 'assets', 'utilization', 'dti', 'rate', 'n_inquiries']);
SELECT count(*) FROM aimass.bin('bench_credit', 'bad', ARRAY['age', 'income', 'debt', 'assets', 'utilization', 'dti', 'rate', 'n_inquiries']);
