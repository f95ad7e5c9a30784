#!/usr/bin/env bash
# Single-row scoring under concurrency: pgbench with 1, 8 and 32 clients calling
# aimass.predict_proba on one bench_credit row by primary key (benches/latency_pgbench.sql), then
# the same work done by a Python scoring service (benches/latency.py: psycopg fetch of the row plus
# a scikit-learn pipeline in the same process, one thread per client). Needs the model of
# benches/scoring.sql (make bench-scoring). Usage: benches/latency.sh <socket dir> <port> <db>
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=$1 PORT=$2 DB=$3 SECONDS_EACH=${SECONDS_EACH:-15}
PG_BIN=/usr/lib/postgresql/15/bin
PSQL=("$PG_BIN/psql" -X -h "$HOST" -p "$PORT" -U postgres -d "$DB")
"${PSQL[@]}" -qc "CREATE UNIQUE INDEX IF NOT EXISTS bench_credit_id ON bench_credit (id)" -c "ANALYZE bench_credit"
OUT=build/bench/latency
rm -rf "$OUT" && mkdir -p "$OUT" && chmod 777 "$OUT"
echo "| clients | aimass via pgbench: tps | p50 ms | p99 ms |"
echo "|---|---|---|---|"
for c in 1 8 32; do
  (cd "$OUT" && "$PG_BIN/pgbench" -n -M prepared -h "$HOST" -p "$PORT" -U postgres -c "$c" -j 2 -T "$SECONDS_EACH" \
     -f "../../../benches/latency_pgbench.sql" -l --log-prefix="c$c" "$DB" >"pgbench_c$c.txt" 2>&1)
  tps=$(grep -oP 'tps = \K[0-9.]+' "$OUT/pgbench_c$c.txt" | head -1)
  # per-transaction log: client, transaction, latency (µs), ...
  cat "$OUT"/c$c.* | awk '{print $3}' | sort -n >"$OUT/lat_c$c.txt"
  n=$(wc -l <"$OUT/lat_c$c.txt")
  p50=$(sed -n "$(( (n + 1) / 2 ))p" "$OUT/lat_c$c.txt")
  p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$OUT/lat_c$c.txt")
  printf '| %s | %.0f | %.3f | %.3f |\n' "$c" "$tps" "$(echo "$p50 / 1000" | bc -l)" "$(echo "$p99 / 1000" | bc -l)"
done
python3 benches/latency.py "host=$HOST port=$PORT user=postgres dbname=$DB" "$SECONDS_EACH"
