-- The bad-input corpus, part 1: the data and models the cases use, the case table, and the
-- generated cases: every SQL function of aimass called with valid arguments, and again with each
-- argument NULL. A STRICT function must answer NULL; the others must answer or raise a clean
-- ERROR (any SQLSTATE but the internal ones, XX000-XX002).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE EXTENSION aimass;
\i sql/sample_data.sql

CREATE TABLE corpus_data AS SELECT * FROM credit_data WHERE id <= 800;
ALTER TABLE corpus_data ADD PRIMARY KEY (id);
CREATE TABLE corpus_empty (LIKE corpus_data);
CREATE TABLE corpus_one AS SELECT * FROM corpus_data WHERE id = 1;
CREATE TABLE corpus_nulls AS SELECT id, NULL::float8 AS age, NULL::text AS home, status FROM corpus_data;
CREATE TABLE corpus_nan AS
SELECT id, CASE id % 3 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity'::float8 ELSE '-Infinity'::float8 END AS income,
       age, status FROM corpus_data;
-- 1,000 distinct categories of 10,000 characters each, and one of a megabyte.
CREATE TABLE corpus_huge_text AS
SELECT id, CASE WHEN id = 1 THEN repeat('x', 1000000) ELSE repeat(md5((id % 1000)::text), 312) END AS category, status
  FROM corpus_data;
-- As wide as PostgreSQL allows: 1,600 columns (1,598 of them real numbers, to fit in a row).
SELECT format('CREATE TABLE corpus_wide AS SELECT id, status, %s FROM corpus_data WHERE id <= 120',
              string_agg(format('(id * %s %% 97)::real AS c%s', g, g), ', '))
  FROM generate_series(1, 1598) g \gexec
-- A table whose rows cannot be scored: no model features.
CREATE TABLE corpus_alien (x int, y text);
INSERT INTO corpus_alien VALUES (1, 'a');

SELECT model_id AS corpus_model FROM aimass.train('corpus', 'corpus_data', 'status', exclude => ARRAY['id', 'split'],
       deploy => 'always') \gset
SELECT model_id AS corpus_gbdt FROM aimass.train('corpus_gb', 'corpus_data', 'status', exclude => ARRAY['id', 'split'],
       algorithm => 'gradient_boosting', hyperparams => '{"n_estimators": 10}', deploy => 'always') \gset
SELECT model_id AS corpus_reg FROM aimass.train('corpus_reg', 'corpus_data', 'amount', algorithm => 'linear',
       exclude => ARRAY['id', 'split', 'status'], deploy => 'always') \gset
SELECT model_id AS corpus_num FROM aimass.train('corpus_num', 'corpus_data', 'status', features => ARRAY['age', 'income'],
       deploy => 'always') \gset
SELECT model_id AS corpus_sc FROM aimass.train('corpus_sc', 'corpus_data', 'status', exclude => ARRAY['id', 'split'],
       algorithm => 'scorecard', deploy => 'always') \gset
SELECT (aimass.clean('corpus_data', 'corpus_cleaned') ->> 'recipe_id')::bigint AS corpus_recipe \gset
SELECT aimass.monitor('corpus', 'corpus_data') IS NOT NULL AS monitored;
CREATE TABLE corpus_vars AS SELECT :corpus_model AS model, :corpus_gbdt AS gbdt, :corpus_reg AS reg,
                                   :corpus_num AS num, :corpus_recipe AS recipe;
CREATE VIEW credit_test_view AS SELECT * FROM corpus_data;
CREATE TABLE corpus_weights AS SELECT *, CASE WHEN id % 10 = 0 THEN -1.0 ELSE 1.0 END AS w FROM corpus_data;
CREATE TABLE corpus_logged (LIKE corpus_data);
CREATE TRIGGER log AFTER INSERT ON corpus_logged FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('corpus', '1', 'id');
CREATE TABLE corpus_logged_bad (LIKE corpus_data);
CREATE TRIGGER log AFTER INSERT ON corpus_logged_bad FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('corpus', '2');
CREATE TABLE corpus_logged_nobody (LIKE corpus_data);
CREATE TRIGGER log AFTER INSERT ON corpus_logged_nobody FOR EACH ROW EXECUTE FUNCTION aimass.log_prediction('nobody');

-- Damaged artifacts: copies of the GBDT model, truncated, bit-flipped, emptied, garbage, and with
-- a foreign format version.
CREATE TABLE corpus_damaged (kind text, model_id bigint);
WITH damage(kind, artifact, format) AS (
    SELECT 'truncated', substring(artifact FROM 1 FOR length(artifact) / 2), artifact_format FROM aimass.models WHERE id = :corpus_gbdt
    UNION ALL SELECT 'truncated_header', substring(artifact FROM 1 FOR 3), artifact_format FROM aimass.models WHERE id = :corpus_gbdt
    UNION ALL SELECT 'empty', ''::bytea, artifact_format FROM aimass.models WHERE id = :corpus_gbdt
    UNION ALL SELECT 'bit_flipped', set_byte(artifact, length(artifact) / 3, get_byte(artifact, length(artifact) / 3) # 255), artifact_format
                FROM aimass.models WHERE id = :corpus_gbdt
    UNION ALL SELECT 'garbage', decode(repeat('deadbeef', 500), 'hex'), artifact_format FROM aimass.models WHERE id = :corpus_gbdt
    UNION ALL SELECT 'future_format', artifact, 999 FROM aimass.models WHERE id = :corpus_gbdt
    UNION ALL SELECT 'appended', artifact || '\x00ff00ff'::bytea, artifact_format FROM aimass.models WHERE id = :corpus_gbdt
    UNION ALL SELECT 'logistic_truncated', substring(artifact FROM 1 FOR length(artifact) - 1), artifact_format FROM aimass.models WHERE id = :corpus_model
), inserted AS (
    INSERT INTO aimass.models (project_id, algorithm, task, hyperparams, preprocessing, features, target, metrics,
                               snapshot_id, training_args, reference, artifact, artifact_format)
    SELECT m.project_id, m.algorithm, m.task, m.hyperparams, m.preprocessing, m.features, m.target, m.metrics,
           m.snapshot_id, m.training_args, m.reference, d.artifact, d.format
      FROM damage d, aimass.models m WHERE m.id = :corpus_gbdt
    RETURNING id
)
INSERT INTO corpus_damaged SELECT d.kind, i.id FROM
    (SELECT kind, row_number() OVER () AS n FROM damage) d
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM inserted) i USING (n);

-- Cancelling a training from another session leaves no model and a working server.
CREATE FUNCTION corpus_cancelled_training() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    before bigint := (SELECT count(*) FROM aimass.models);
    conn text := 'dbname=' || current_database() || ' port=' || current_setting('port') || ' host=' || current_setting('unix_socket_directories');
    err text;
BEGIN
    PERFORM dblink_connect('corpus_cancel', conn);
    PERFORM dblink_send_query('corpus_cancel',
        $q$SELECT * FROM aimass.train('corpus_cancel', 'credit_data', 'status', algorithm => 'gradient_boosting',
                                       hyperparams => '{"n_estimators": 100000, "learning_rate": 0.001}')$q$);
    PERFORM pg_sleep(1);
    PERFORM dblink_cancel_query('corpus_cancel');
    err := dblink_error_message('corpus_cancel');
    BEGIN
        PERFORM * FROM dblink_get_result('corpus_cancel') AS t(a int);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        err := SQLERRM;
    END;
    PERFORM dblink_disconnect('corpus_cancel');
    RETURN err LIKE '%cancel%' AND (SELECT count(*) FROM aimass.models) = before
       AND NOT EXISTS (SELECT FROM aimass.projects WHERE name = 'corpus_cancel');
END $$;

-- Two sessions deploying at once: both deployments are recorded, one of them serves.
CREATE FUNCTION corpus_concurrent_deploys() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    conn text := 'dbname=' || current_database() || ' port=' || current_setting('port') || ' host=' || current_setting('unix_socket_directories');
    before bigint := (SELECT count(*) FROM aimass.deployments);
    m bigint := (SELECT model FROM corpus_vars);
BEGIN
    PERFORM dblink_connect('corpus_d1', conn);
    PERFORM dblink_connect('corpus_d2', conn);
    PERFORM dblink_send_query('corpus_d1', format('SELECT * FROM aimass.deploy(%s)', m));
    PERFORM dblink_send_query('corpus_d2', $q$SELECT * FROM aimass.deploy('corpus', 'best_score')$q$);
    PERFORM * FROM dblink_get_result('corpus_d1') AS t(a bigint, b text, c bigint, d text);
    PERFORM * FROM dblink_get_result('corpus_d2') AS t(a bigint, b text, c bigint, d text);
    PERFORM dblink_disconnect('corpus_d1');
    PERFORM dblink_disconnect('corpus_d2');
    RETURN (SELECT count(*) FROM aimass.deployments) = before + 2
       AND (SELECT aimass.predict_proba('corpus', c) FROM corpus_data c WHERE id = 1) BETWEEN 0 AND 1;
END $$;

-- The cases: area, what the input is, the SQL, the expected outcome: 'ok' (runs; a boolean
-- answer must be true), 'null' (answers NULL), 'clean' (answers, or raises a non-internal
-- ERROR), or a SQLSTATE; and for an expected ERROR, a fragment its message must contain (so a
-- case cannot pass for another reason with the same SQLSTATE).
CREATE TABLE corpus_case (id serial PRIMARY KEY, area text NOT NULL, input text NOT NULL, sql text NOT NULL,
                          expect text NOT NULL, message text);

-- Every function with valid arguments; `args` are (name, SQL value, type), `source` the FROM
-- clause a row argument comes from.
CREATE TEMP TABLE corpus_call (fn text, args text[], from_item text);
INSERT INTO corpus_call VALUES
 ('predict_proba', ARRAY['project_name', '''corpus''', 'text', 'row', 'c', 'corpus_data'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict_proba', ARRAY['model_id', :'corpus_model', 'bigint', 'row', 'c', 'corpus_data'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict_proba', ARRAY['project_name', '''corpus''', 'text', 'features', 'to_jsonb(c)', 'jsonb'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict_proba', ARRAY['model_id', :'corpus_model', 'bigint', 'features', 'to_jsonb(c)', 'jsonb'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict_proba', ARRAY['project_name', '''corpus_num''', 'text', 'features', 'ARRAY[30, 1000.0]::float8[]', 'float8[]'], NULL),
 ('predict_proba', ARRAY['model_id', :'corpus_num', 'bigint', 'features', 'ARRAY[30, NULL]::float8[]', 'float8[]'], NULL),
 ('predict', ARRAY['project_name', '''corpus_reg''', 'text', 'row', 'c', 'corpus_data'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict', ARRAY['model_id', :'corpus_reg', 'bigint', 'row', 'c', 'corpus_data'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict', ARRAY['project_name', '''corpus_reg''', 'text', 'features', 'to_jsonb(c)', 'jsonb'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict', ARRAY['model_id', :'corpus_reg', 'bigint', 'features', 'to_jsonb(c)', 'jsonb'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict', ARRAY['project_name', '''corpus_num''', 'text', 'features', 'ARRAY[30, 1000.0]::float8[]', 'float8[]'], NULL),
 ('predict', ARRAY['model_id', :'corpus_num', 'bigint', 'features', 'ARRAY[NULL, 1000.0]::float8[]', 'float8[]'], NULL),
 ('served_model', ARRAY['project_name', '''corpus''', 'text', 'row', 'c', 'corpus_data'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('explain', ARRAY['project_name', '''corpus''', 'text', 'row', 'c', 'corpus_data', 'top_k', '3', 'integer'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('score_points', ARRAY['project_name', '''corpus_sc''', 'text', 'row', 'c', 'corpus_data'], '(SELECT * FROM corpus_data WHERE id = 1) c'),
 ('predict_batch', ARRAY['project_name', '''corpus''', 'text', 'relation_name', '''corpus_data''', 'regclass', 'id_column', '''id''', 'text'], NULL),
 ('predict_batch', ARRAY['model_id', :'corpus_model', 'bigint', 'relation_name', '''corpus_data''', 'regclass', 'id_column', '''id''', 'text'], NULL),
 ('train', ARRAY['project_name', '''corpus_t''', 'text', 'relation_name', '''corpus_data''', 'regclass', 'target', '''status''', 'text',
                 'algorithm', '''logistic''', 'text', 'task', '''binary''', 'text', 'features', 'ARRAY[''age'', ''income'']', 'text[]',
                 'exclude', 'ARRAY[''id'']', 'text[]', 'positive', '''bad''', 'text', 'hyperparams', '''{}''', 'jsonb',
                 'preprocess', '''{}''', 'jsonb', 'split', '''random''', 'text', 'test_size', '0.25', 'float8', 'seed', '7', 'integer',
                 'deploy', '''never''', 'text', 'search', 'NULL', 'text', 'search_params', '''{}''', 'jsonb', 'folds', 'NULL', 'integer',
                 'metric', 'NULL', 'text', 'weight_column', 'NULL', 'text', 'strategy', 'NULL', 'text'], NULL),
 ('evaluate', ARRAY['project_name', '''corpus''', 'text', 'relation_name', '''corpus_data''', 'regclass', 'target', '''status''', 'text', 'threshold', '0.5', 'float8'], NULL),
 ('evaluate', ARRAY['model_id', :'corpus_model', 'bigint', 'relation_name', '''corpus_data''', 'regclass', 'target', '''status''', 'text', 'threshold', '0.5', 'float8'], NULL),
 ('deploy', ARRAY['project_name', '''corpus''', 'text', 'strategy', '''best_score''', 'text', 'model_id', 'NULL', 'bigint', 'share', 'NULL', 'float8', 'key_column', 'NULL', 'text'], NULL),
 ('deploy', ARRAY['model_id', :'corpus_model', 'bigint'], NULL),
 ('model_card', ARRAY['model_id', :'corpus_model', 'bigint', 'format', '''markdown''', 'text'], NULL),
 ('model_features', ARRAY['model_id', :'corpus_model', 'bigint'], NULL),
 ('coefficients', ARRAY['model_id', :'corpus_model', 'bigint'], NULL),
 ('scorecard', ARRAY['model_id', :'corpus_sc', 'bigint'], NULL),
 ('challenger_report', ARRAY['project_name', '''corpus''', 'text'], NULL),
 ('profile', ARRAY['relation_name', '''corpus_data''', 'regclass', 'target', '''status''', 'text'], NULL),
 ('clean', ARRAY['source', '''corpus_data''', 'regclass', 'destination', '''corpus_clean_again''', 'text', 'options', '''{"replace": true}''', 'jsonb'], NULL),
 ('apply_cleaning', ARRAY['recipe_id', :'corpus_recipe', 'bigint', 'source', '''corpus_data''', 'regclass', 'destination', '''corpus_applied''', 'text', 'replace', 'true', 'boolean'], NULL),
 ('bin', ARRAY['relation_name', '''corpus_data''', 'regclass', 'target', '''status''', 'text', 'columns', 'ARRAY[''age'']', 'text[]', 'method', '''quantile''', 'text', 'options', '''{}''', 'jsonb'], NULL),
 ('select_features', ARRAY['relation_name', '''corpus_data''', 'regclass', 'target', '''status''', 'text', 'min_iv', '0.02', 'float8', 'max_missing', '0.5', 'float8', 'max_correlation', '0.9', 'float8'], NULL),
 ('monitor', ARRAY['project_name', '''corpus''', 'text', 'relation_name', '''corpus_data''', 'regclass', 'options', '''{}''', 'jsonb'], NULL),
 ('check_drift', ARRAY['project_name', '''corpus''', 'text', 'relation_name', '''corpus_data''', 'regclass', 'since', 'NULL', 'timestamptz'], NULL),
 ('run_monitor', ARRAY['project_id', '(SELECT id FROM aimass.projects WHERE name = ''corpus'')', 'bigint'], NULL),
 ('unmonitor', ARRAY['project_name', '''corpus_gb''', 'text'], NULL),
 ('hyperparameters', ARRAY['algorithm', '''logistic''', 'text'], NULL),
 ('roc_curve', ARRAY['scores', 'ARRAY[0.1, 0.9]::float8[]', 'float8[]', 'labels', 'ARRAY[false, true]', 'boolean[]'], NULL),
 ('lift_table', ARRAY['scores', 'ARRAY[0.1, 0.9]::float8[]', 'float8[]', 'labels', 'ARRAY[false, true]', 'boolean[]', 'buckets', '2', 'integer'], NULL),
 ('calibration_table', ARRAY['p', 'ARRAY[0.1, 0.9]::float8[]', 'float8[]', 'labels', 'ARRAY[false, true]', 'boolean[]', 'buckets', '2', 'integer'], NULL);

-- Aggregates over a few rows, with NULLs inside.
INSERT INTO corpus_case (area, input, sql, expect)
SELECT 'aggregates', format('%s over values with NULLs, NaN and one class', a),
       format('SELECT aimass.%s(x, y) IS NULL OR true FROM (VALUES (0.2::float8, true), (NULL, false), (0.7, NULL), (''NaN'', true), (0.4, true)) v(x, y)', a), 'clean'
  FROM unnest(ARRAY['auc', 'ks', 'gini', 'brier', 'log_loss', 'iv', 'psi']) a
UNION ALL
SELECT 'aggregates', format('%s over no rows', a),
       format('SELECT aimass.%s(x, y) FROM (SELECT 0.5::float8 AS x, true AS y WHERE false) v', a), 'null'
  FROM unnest(ARRAY['auc', 'ks', 'gini', 'brier', 'log_loss', 'iv', 'psi']) a
UNION ALL
SELECT 'aggregates', format('%s over text values with NULLs', a),
       format('SELECT aimass.%s(x, y) >= 0 OR true FROM (VALUES (''a''::text, true), (NULL, false), (''b'', NULL), (''a'', false)) v(x, y)', a), 'clean'
  FROM unnest(ARRAY['iv', 'psi']) a;

-- Valid calls (which must answer), and each argument NULL in turn.
WITH calls AS (
    SELECT c.fn, c.from_item, n.i, c.args[n.i * 3 - 2] AS name, c.args[n.i * 3] AS type,
           cardinality(c.args) / 3 AS nargs, c.args
      FROM corpus_call c, generate_series(1, cardinality(c.args) / 3) n(i)
), texts AS (
    SELECT c.*,
           (SELECT string_agg(format('%I => %s', args[k * 3 - 2], args[k * 3 - 1]), ', ' ORDER BY k)
              FROM generate_series(1, nargs) k) AS valid,
           (SELECT string_agg(format('%I => %s', args[k * 3 - 2],
                                     CASE WHEN k = i THEN 'NULL::' || args[k * 3] ELSE args[k * 3 - 1] END), ', ' ORDER BY k)
              FROM generate_series(1, nargs) k) AS with_null,
           (SELECT string_agg(CASE args[k * 3] WHEN 'corpus_data' THEN 'anyelement' ELSE args[k * 3] END, ', ' ORDER BY k)
              FROM generate_series(1, nargs) k) AS signature
      FROM calls c
), described AS (
    SELECT t.*, p.proisstrict AS strict, p.proretset AS setof
      FROM texts t
      JOIN pg_proc p ON p.oid = to_regprocedure(format('aimass.%s(%s)', t.fn, t.signature))
)
INSERT INTO corpus_case (area, input, sql, expect)
SELECT fn, format('%s(%s) with valid arguments', fn, signature),
       CASE WHEN setof THEN format('SELECT count(*) >= 0 FROM %s aimass.%s(%s)', coalesce(from_item || ', ', ''), fn, valid)
            ELSE format('SELECT aimass.%s(%s) IS NOT NULL%s', fn, valid, coalesce(' FROM ' || from_item, '')) END,
       'ok'
  FROM described WHERE i = 1
UNION ALL
SELECT fn, format('%s(%s): %s is NULL', fn, signature, name),
       CASE WHEN setof THEN format('SELECT count(*) = 0 FROM %s aimass.%s(%s)', coalesce(from_item || ', ', ''), fn, with_null)
            ELSE format('SELECT aimass.%s(%s)%s', fn, with_null, coalesce(' FROM ' || from_item, '')) END,
       CASE WHEN strict AND setof THEN 'ok' WHEN strict THEN 'null' ELSE 'clean' END
  FROM described;
RESET client_min_messages;
