-- Relation, column and project names that would break (or inject into) SQL built by string
-- concatenation: semicolons, quotes, spaces, mixed case, a schema with a quote. Every function
-- must treat them as names.
\set VERBOSITY terse
CREATE SCHEMA "we""ird schema";
CREATE TABLE "we""ird schema"."x; DROP TABLE credit_data; --" AS
SELECT id, status AS "Status ""quoted""", income AS "in come; DROP TABLE credit_data", home AS "Home'); DROP TABLE credit_data; --",
       age AS "AGE", split
  FROM credit_data;
SELECT count(*) AS rows FROM "we""ird schema"."x; DROP TABLE credit_data; --";
-- Train, evaluate, score, explain.
SELECT algorithm, deployed
  FROM aimass.train('p''); DROP TABLE credit_data; --', '"we""ird schema"."x; DROP TABLE credit_data; --"',
                    'Status "quoted"', exclude => ARRAY['id'], split => 'column:split');
SELECT round((aimass.evaluate('p''); DROP TABLE credit_data; --', '"we""ird schema"."x; DROP TABLE credit_data; --"') ->> 'auc')::numeric, 2) > 0.6 AS auc_ok;
SELECT count(*) AS scored FROM "we""ird schema"."x; DROP TABLE credit_data; --" t
 WHERE aimass.predict_proba('p''); DROP TABLE credit_data; --', t) BETWEEN 0 AND 1;
SELECT count(*) AS reasons FROM "we""ird schema"."x; DROP TABLE credit_data; --" t,
       aimass.explain('p''); DROP TABLE credit_data; --', t, 2) WHERE t.id <= 3;
SELECT column_name FROM aimass.model_features(
  (SELECT max(id) FROM aimass.models)) ORDER BY position;
-- Profile, clean, bin, select features, batch scoring.
SELECT column_name, nulls FROM aimass.profile('"we""ird schema"."x; DROP TABLE credit_data; --"') ORDER BY 1;
-- The destination is a table name as SQL writes it: quoted when it needs quotes.
SELECT (aimass.clean('"we""ird schema"."x; DROP TABLE credit_data; --"', 'clean; DROP TABLE credit_data; --',
                     '{"missing": "median"}') ->> 'rows_out')::int AS cleaned_rows;
SELECT (aimass.clean('"we""ird schema"."x; DROP TABLE credit_data; --"', '"clean; DROP TABLE credit_data; --"',
                     '{"missing": "median"}') ->> 'rows_out')::int AS cleaned_rows;
SELECT count(*) AS rows FROM "clean; DROP TABLE credit_data; --";
SELECT DISTINCT column_name FROM aimass.bin('"we""ird schema"."x; DROP TABLE credit_data; --"', 'Status "quoted"',
                                            ARRAY['in come; DROP TABLE credit_data', 'AGE']) ORDER BY 1;
SELECT column_name, kept FROM aimass.select_features('"we""ird schema"."x; DROP TABLE credit_data; --"', 'Status "quoted"')
 ORDER BY 1;
SELECT count(*) AS batch_rows FROM aimass.predict_batch('p''); DROP TABLE credit_data; --',
                                                        '"we""ird schema"."x; DROP TABLE credit_data; --"', 'id');
-- Monitoring.
SELECT aimass.monitor('p''); DROP TABLE credit_data; --', '"we""ird schema"."x; DROP TABLE credit_data; --"')
       ->> 'relation' AS monitored;
SELECT count(*) AS findings FROM aimass.check_drift('p''); DROP TABLE credit_data; --');
SELECT aimass.run_monitor(id) AS scheduled FROM aimass.projects WHERE name = 'p''); DROP TABLE credit_data; --';
-- Names that do not exist are errors naming them, never SQL.
SELECT * FROM aimass.train('q', '"we""ird schema"."x; DROP TABLE credit_data; --"', 'status; DROP TABLE credit_data');
SELECT * FROM aimass.train('q', 'credit_data', 'status', features => ARRAY['age"); DROP TABLE credit_data; --']);
-- Everything is still there.
SELECT count(*) AS credit_rows FROM credit_data;
SELECT aimass.unmonitor('p''); DROP TABLE credit_data; --');
DROP SCHEMA "we""ird schema" CASCADE;
DROP TABLE "clean; DROP TABLE credit_data; --";
