#!/usr/bin/env bash
# The bad-input corpus (run by `make test`, target corpus-test): hundreds of hostile or broken
# inputs across every SQL function of aimass (tests/corpus/setup.sql generates NULL-argument
# cases, cases.sql lists the hand-written ones), each of which must raise a clean ERROR with the
# expected SQLSTATE or give the correct answer; the server must never restart.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
DIR="$(scripts/cluster.sh dir)"
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/run" -p "${AIMASS_PORT:-55415}" -U postgres)
q() { "${PSQL[@]}" -d "$1" -tAc "$2"; }
fail() { echo "corpus-test: FAILED: $*" >&2; exit 1; }

started=$(q postgres "SELECT pg_postmaster_start_time()")
q postgres "DROP DATABASE IF EXISTS aimass_corpus" >/dev/null
q postgres "CREATE DATABASE aimass_corpus" >/dev/null
q postgres "ALTER DATABASE aimass_corpus SET aimass.progress_interval = -1" >/dev/null
"${PSQL[@]}" -d aimass_corpus -f tests/corpus/setup.sql >/dev/null
"${PSQL[@]}" -d aimass_corpus -f tests/corpus/cases.sql >/dev/null
"${PSQL[@]}" -d aimass_corpus -f tests/corpus/run.sql >/dev/null 2>build/corpus.log || { cat build/corpus.log; fail "the corpus run stopped"; }
[ "$(q postgres "SELECT pg_postmaster_start_time()")" = "$started" ] || fail "the server restarted during the corpus"

uncovered=$(q aimass_corpus "SELECT string_agg(DISTINCT p.proname, ', ') FROM pg_proc p
  WHERE p.pronamespace = 'aimass'::regnamespace AND p.proname !~ '^_'
    AND NOT EXISTS (SELECT FROM corpus_case c WHERE c.sql ~ ('aimass\.' || p.proname || '\M')
                                                  OR (p.proname = 'log_prediction' AND c.sql ~ 'corpus_logged'))")
[ -z "$uncovered" ] || fail "functions without a case: $uncovered"
unchecked=$(q aimass_corpus "SELECT string_agg(input, '; ') FROM corpus_case WHERE expect ~ '^[0-9A-Z]{5}$' AND message IS NULL")
[ -z "$unchecked" ] || fail "cases that expect an ERROR but no message fragment: $unchecked"
failed=$(q aimass_corpus "SELECT count(*) FROM corpus_result WHERE NOT passed")
if [ "$failed" != 0 ]; then
  "${PSQL[@]}" -d aimass_corpus -c "SELECT c.id, c.area, c.input, c.expect, c.message AS expected_message, r.state, r.answer, left(r.message, 120) AS message
    FROM corpus_case c JOIN corpus_result r USING (id) WHERE NOT r.passed ORDER BY c.id"
  fail "$failed corpus cases did not give what they must"
fi
q aimass_corpus "SELECT format('corpus-test: %s hostile or broken inputs across %s SQL functions: all as expected (%s clean ERRORs with the expected SQLSTATE and message, %s correct answers, %s clean either way); the server never restarted',
  count(*), (SELECT count(DISTINCT proname) FROM pg_proc WHERE pronamespace = 'aimass'::regnamespace AND proname !~ '^_'),
  count(*) FILTER (WHERE c.expect ~ '^[0-9A-Z]{5}$'), count(*) FILTER (WHERE c.expect IN ('ok', 'null')), count(*) FILTER (WHERE c.expect = 'clean'))
  FROM corpus_case c"
