#!/usr/bin/env bash
# Peak memory of a training backend: trains on bench_credit (1M rows, benches/generate.sql) and
# samples the backend's private resident memory (RssAnon in /proc/PID/status: not the shared
# buffers it reads through) every 50 ms; compares the peak with the model's input matrix as
# float32 (rows × inputs × 4 bytes), the speed issue's yardstick (goal: at most 2×).
# Usage: benches/memory.sh <socket dir> <port> <db>
set -euo pipefail
HOST=$1 PORT=$2 DB=$3
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/pg_env.sh"
PSQL=("$PG_BIN/psql" -X -h "$HOST" -p "$PORT" -U postgres -d "$DB")
echo "| model | rows | inputs | matrix as float32 | peak backend RssAnon | ratio |"
echo "|---|---|---|---|---|---|"
for algorithm in logistic gradient_boosting; do
  fifo=$(mktemp -u) && mkfifo "$fifo"
  # One session: print its pid, wait for the go, train, print the model id.
  { echo "SELECT pg_backend_pid();"; cat "$fifo"; } | "${PSQL[@]}" -qtA >"$fifo.out" 2>&1 &
  session=$!
  exec 3>"$fifo"
  for _ in $(seq 1 50); do [ -s "$fifo.out" ] && break; sleep 0.1; done
  pid=$(head -1 "$fifo.out")
  base=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status")
  echo "SET aimass.progress_interval = -1; SELECT model_id FROM aimass.train('bench_memory_$algorithm', 'bench_credit', 'bad', algorithm => '$algorithm', exclude => ARRAY['id', 'applied_at', 'merchant'], deploy => 'never');" >&3
  exec 3>&-
  peak=$base
  while kill -0 "$session" 2>/dev/null; do
    now=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${now:-0}" -gt "$peak" ] && peak=$now
    sleep 0.05
  done
  model=$(tail -1 "$fifo.out")
  rm -f "$fifo" "$fifo.out"
  read -r rows inputs < <("${PSQL[@]}" -tAF' ' -c "SELECT s.train_rows + s.test_rows,
      (SELECT sum(cardinality(inputs)) FROM aimass.model_features($model))
      FROM aimass.models m JOIN aimass.snapshots s ON s.id = m.snapshot_id WHERE m.id = $model")
  matrix=$(( rows * inputs * 4 / 1048576 ))
  used=$(( (peak - base) / 1024 ))
  printf '| %s | %s | %s | %s MB | %s MB (+%s MB at rest) | %.2f× |\n' "$algorithm" "$rows" "$inputs" "$matrix" "$used" \
    $(( base / 1024 )) "$(echo "$used / $matrix" | bc -l)"
done
