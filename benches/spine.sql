-- Spine benchmark: training time on the sample data and inline scoring throughput over ~200k rows,
-- against a plain scan of the same table. Run by `make bench-spine` (on the demo database).
\timing on
\pset footer off
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS lending_big;
CREATE TABLE lending_big AS SELECT l.* FROM lending_club l, generate_series(1, 20);
ANALYZE lending_big;
\echo '-- training (logistic, all 22 features, fixed split)'
SELECT model_id FROM aimass.train('bench_lending', 'lending_club', 'class', exclude => ARRAY['id'], split => 'column:split', deploy => 'always');
SELECT model_id FROM aimass.train('bench_credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'always');
\echo '-- plain scan of lending_big (the floor)'
SELECT count(*), sum(int_rate::float8 + annual_inc) FROM lending_big;
SELECT count(*), sum(int_rate::float8 + annual_inc) FROM lending_big;
\echo '-- inline scoring of lending_big, 197,140 rows'
SELECT sum(aimass.predict_proba('bench_lending', l)) FROM lending_big l;
SELECT sum(aimass.predict_proba('bench_lending', l)) FROM lending_big l;
\echo '-- evaluate over the same rows'
SELECT aimass.evaluate('bench_lending', 'lending_big') ->> 'auc' AS auc;
DROP TABLE lending_big;
