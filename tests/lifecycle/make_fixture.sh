#!/usr/bin/env bash
# How tests/lifecycle/fixture_0.1.0.sql was made (run by hand, not by the tests): with aimass
# 0.1.0 built and installed (git worktree add /tmp/v010 0f38e94; cd /tmp/v010; cargo pgrx install
# --pg-config "$PG_CONFIG"), train and deploy models of several kinds on
# the sample data, keep their scores, and dump the catalog rows and the scores as data.
# The fixture then lets the upgrade test start from a catalog that 0.1.0 itself wrote.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
PSQL=("$PG_BIN/psql" -X -h "$(scripts/cluster.sh dir)/run" -p "${AIMASS_PORT:-55415}" -U postgres)
"${PSQL[@]}" -q -d postgres -c 'DROP DATABASE IF EXISTS aimass_fixture' -c 'CREATE DATABASE aimass_fixture'
"${PSQL[@]}" -q -d aimass_fixture -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION aimass;
\i sql/sample_data.sql
SELECT extversion FROM pg_extension WHERE extname = 'aimass';
SELECT model_id FROM aimass.train('credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'always');
SELECT model_id FROM aimass.train('credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split',
       algorithm => 'gradient_boosting', hyperparams => '{"n_estimators": 40}', deploy => 'never');
SELECT model_id FROM aimass.train('credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split',
       algorithm => 'scorecard', deploy => 'never');
SELECT model_id FROM aimass.train('credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split',
       algorithm => 'mlp', hyperparams => '{"epochs": 5}', deploy => 'never');
SELECT model_id FROM aimass.train('lending', 'lending_club', 'class', exclude => ARRAY['id'], split => 'column:split',
       algorithm => 'random_forest', hyperparams => '{"n_trees": 10}', deploy => 'always');
SELECT * FROM aimass.deploy('credit', 'most_recent');
SELECT * FROM aimass.deploy('credit', 'rollback');
CREATE TABLE fixture_scores AS
SELECT m.id AS model_id, c.id AS row_id, aimass.predict_proba(m.id, c) AS score
  FROM aimass.models m JOIN aimass.projects p ON p.id = m.project_id, credit_data c WHERE p.name = 'credit'
UNION ALL
SELECT m.id, l.id, aimass.predict_proba(m.id, l)
  FROM aimass.models m JOIN aimass.projects p ON p.id = m.project_id, lending_club l WHERE p.name = 'lending' AND l.id <= 3000;
SQL
{
  echo "-- The catalog rows and the scores of aimass 0.1.0 (made by tests/lifecycle/make_fixture.sh)."
  echo "CREATE TABLE fixture_scores (model_id bigint, row_id integer, score float8);"
  "$PG_BIN/pg_dump" -h "$(scripts/cluster.sh dir)/run" -p "${AIMASS_PORT:-55415}" -U postgres \
    --data-only --no-owner -t 'aimass.*' -t fixture_scores aimass_fixture
} | grep -v '^SET \|^SELECT pg_catalog.set_config' > tests/lifecycle/fixture_0.1.0.sql
ls -l tests/lifecycle/fixture_0.1.0.sql
