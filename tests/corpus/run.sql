-- The bad-input corpus, part 3: run every case in a subtransaction that is rolled back afterwards
-- (cases do not see each other's effects), record its SQLSTATE or answer, and judge it.
CREATE TABLE corpus_result (id int PRIMARY KEY, state text, answer text, message text, passed boolean);
DO $run$
DECLARE
    c record;
    answer text;
    state text;
    message text;
BEGIN
    FOR c IN SELECT * FROM corpus_case ORDER BY id LOOP
        answer := NULL; state := NULL; message := NULL;
        BEGIN
            IF c.sql ~* '^\s*(select|with|values)' THEN
                EXECUTE c.sql INTO answer;
            ELSE
                EXECUTE c.sql;
            END IF;
            RAISE EXCEPTION 'corpus: undo' USING ERRCODE = 'P0999';
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            IF state = 'P0999' THEN
                state := NULL; message := NULL;
            END IF;
        END;
        INSERT INTO corpus_result VALUES (c.id, state, left(answer, 200), message,
            CASE c.expect
                WHEN 'ok' THEN state IS NULL AND (answer = 'true' OR (answer IS NULL AND c.sql !~* '^\s*(select|with|values)'))
                WHEN 'null' THEN state IS NULL AND answer IS NULL
                WHEN 'clean' THEN state IS NULL OR state !~ '^XX'
                ELSE state IS NOT DISTINCT FROM c.expect
                     AND (c.message IS NULL OR strpos(lower(message), lower(c.message)) > 0)
            END);
    END LOOP;
END
$run$;
