-- The fuzzing database of `make sqlsmith` (tests/sqlsmith/run.sh): a deployed model of every
-- algorithm, a monitor, a prediction log, and the analyst role SQLsmith connects as.
SET client_min_messages = warning;
SET aimass.progress_interval = -1;
CREATE EXTENSION aimass;
\i sql/sample_data.sql
DO $$
DECLARE
    a text;
BEGIN
    FOREACH a IN ARRAY ARRAY['logistic', 'scorecard', 'decision_tree', 'random_forest',
                             'gradient_boosting', 'mlp', 'svm', 'stacking', 'blending', 'bagging'] LOOP
        BEGIN
            PERFORM aimass.train('p_' || a, 'credit_data', 'status', algorithm => a, exclude => ARRAY['id'],
                                 split => 'column:split', deploy => 'always',
                                 hyperparams => CASE a WHEN 'mlp' THEN '{"epochs": 5}'::jsonb ELSE '{}' END);
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE 'no algorithm %', a;
        END;
    END LOOP;
END $$;
SELECT aimass.train('p_linear', 'credit_data', 'income', algorithm => 'linear', task => 'regression',
                    exclude => ARRAY['id'], deploy => 'always');
SELECT aimass.train('p_kmeans', 'credit_data', algorithm => 'kmeans', task => 'clustering',
                    exclude => ARRAY['id', 'status'], deploy => 'always');
SELECT aimass.train('p_iforest', 'credit_data', algorithm => 'isolation_forest', task => 'anomaly',
                    exclude => ARRAY['id', 'status'], deploy => 'always');
CREATE TABLE live_apps AS SELECT * FROM credit_data WHERE split = 'test';
SELECT aimass.monitor('p_logistic', 'live_apps') IS NOT NULL;
CREATE TABLE incoming (LIKE credit_data);
CREATE TRIGGER log_scores AFTER INSERT ON incoming FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('p_logistic');
INSERT INTO incoming SELECT * FROM credit_data LIMIT 50;
DO $$ BEGIN
    CREATE ROLE smith LOGIN IN ROLE aimass_analyst;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
ALTER ROLE smith SET statement_timeout = '2s';
ALTER ROLE smith SET aimass.progress_interval = -1;
GRANT SELECT, INSERT ON credit_data, lending_club, live_apps, incoming TO smith;
SELECT count(*) AS projects FROM aimass.projects;
