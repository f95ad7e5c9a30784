#!/usr/bin/env bash
# Compares pg_regress's results with the expected outputs, leaving out the LOCATION lines that
# VERBOSITY verbose prints: they name a source file and line (aimass's error.rs, or PostgreSQL's
# own) that move with any edit or minor release. The tests assert each error's SQLSTATE, message,
# DETAIL and HINT; where it was raised is not part of the contract.
# Usage: tests/regress/compare.sh <results dir> <test>...
set -euo pipefail
results=$1; shift
failed=0
: >"$results/regression.diffs"
for t in "$@"; do
  if ! diff -U3 <(grep -v '^LOCATION:  ' "tests/regress/expected/$t.out") \
                <(grep -v '^LOCATION:  ' "$results/results/$t.out") \
       --label "expected/$t.out" --label "results/$t.out" >>"$results/regression.diffs"; then
    echo "regress: $t FAILED"
    failed=$((failed + 1))
  fi
done
if [ "$failed" -gt 0 ]; then cat "$results/regression.diffs"; echo "regress: $failed of $# failed"; exit 1; fi
echo "regress: $# passed, 0 failed"
