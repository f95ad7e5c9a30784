-- Shared set-up: the extension and the sample data (psql runs from the repository root).
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
DROP EXTENSION IF EXISTS aimass CASCADE;
CREATE EXTENSION aimass;
\i sql/sample_data.sql
RESET client_min_messages;
SELECT count(*) AS credit_rows, count(*) FILTER (WHERE split = 'test') AS credit_test FROM credit_data;
SELECT count(*) AS lending_rows, count(*) FILTER (WHERE split = 'test') AS lending_test FROM lending_club;
CREATE VIEW credit_test AS SELECT * FROM credit_data WHERE split = 'test';
CREATE VIEW lending_test AS SELECT * FROM lending_club WHERE split = 'test';
