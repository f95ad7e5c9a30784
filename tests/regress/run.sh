#!/usr/bin/env bash
# pg_regress, each file alone: setup.sql makes a template database (the extension, dblink and the
# sample data) and checks it; every other file then runs in a database of its own copied from that
# template, so no file depends on what another left behind, ids start at 1 in each, and any file
# runs by itself (make regress REGRESS_TESTS="predict"). The files are those in tests/regress/sql.
# Usage: tests/regress/run.sh [test...]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg_env.sh
DIR="$(scripts/cluster.sh dir)"
PORT=${AIMASS_PORT:-55415}
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/run" -p "$PORT" -U postgres -d postgres)
REGRESS="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress"
if [ $# -gt 0 ]; then tests=("$@"); else
  mapfile -t tests < <(cd tests/regress/sql && ls -- *.sql | sed 's/\.sql$//' | grep -vx setup)
fi
mkdir -p build/regress
: >build/regress/pg_regress.log
run() { # database test
  "$REGRESS" --use-existing --bindir="$PG_BIN" --host="$DIR/run" --port="$PORT" --user=postgres \
    --dbname="$1" --inputdir=tests/regress --outputdir=build/regress "$2" >>build/regress/pg_regress.log 2>&1 || true
}
fresh() { # database [template]
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1${2:+ TEMPLATE $2}" \
    -c "ALTER DATABASE $1 SET aimass.progress_interval = -1"
}
fresh aimass_regress_template
run aimass_regress_template setup
ran=(setup)
for t in "${tests[@]}"; do
  [ "$t" = setup ] && continue
  fresh "aimass_regress_$t" aimass_regress_template
  run "aimass_regress_$t" "$t"
  ran+=("$t")
done
# pg_regress's own verdict counts LOCATION lines; compare.sh decides without them.
bash tests/regress/compare.sh build/regress "${ran[@]}"
