#!/usr/bin/env bash
# Single-row scoring under concurrency: pgbench with 1, 8 and 32 clients calling
# aimass.predict_proba on one bench_credit row by primary key (benches/latency_pgbench.sql), then
# the same work done by a Python scoring service (benches/latency.py: psycopg fetch of the row plus
# a scikit-learn pipeline in the same process, one thread per client). The floor is pgbench
# fetching the same row without scoring it (benches/latency_fetch.sql). Needs the model of
# benches/scoring.sql (make bench-scoring). Usage: benches/latency.sh <socket dir> <port> <db>
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=$1 PORT=$2 DB=$3 SECONDS_EACH=${SECONDS_EACH:-15}
. scripts/pg_env.sh
PSQL=("$PG_BIN/psql" -X -h "$HOST" -p "$PORT" -U postgres -d "$DB")
"${PSQL[@]}" -qc "CREATE UNIQUE INDEX IF NOT EXISTS bench_credit_id ON bench_credit (id)" -c "ANALYZE bench_credit"
OUT=build/bench/latency
rm -rf "$OUT" && mkdir -p "$OUT" && chmod 777 "$OUT"
# pgbench_table <title> <script> <log prefix>: one row per client count.
pgbench_table() {
  echo "| clients | $1: tps | p50 ms | p99 ms |"
  echo "|---|---|---|---|"
  for c in 1 8 32; do
    (cd "$OUT" && "$PG_BIN/pgbench" -n -M prepared -h "$HOST" -p "$PORT" -U postgres -c "$c" -j 2 -T "$SECONDS_EACH" \
       -f "../../../benches/$2" -l --log-prefix="$3$c" "$DB" >"pgbench_$3$c.txt" 2>&1)
    tps=$(grep -oP 'tps = \K[0-9.]+' "$OUT/pgbench_$3$c.txt" | head -1)
    # per-transaction log: client, transaction, latency (µs), ...
    cat "$OUT"/$3$c.* | awk '{print $3}' | sort -n >"$OUT/lat_$3$c.txt"
    n=$(wc -l <"$OUT/lat_$3$c.txt")
    p50=$(sed -n "$(( (n + 1) / 2 ))p" "$OUT/lat_$3$c.txt")
    p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$OUT/lat_$3$c.txt")
    printf '| %s | %.0f | %.3f | %.3f |\n' "$c" "$tps" "$(echo "$p50 / 1000" | bc -l)" "$(echo "$p99 / 1000" | bc -l)"
  done
}
pgbench_table "aimass via pgbench" latency_pgbench.sql c
# The floor: the same row fetched by primary key, not scored (what a round trip costs here).
pgbench_table "floor: the row fetched, not scored, via pgbench" latency_fetch.sql f
python3 benches/latency.py "host=$HOST port=$PORT user=postgres dbname=$DB" "$SECONDS_EACH"
