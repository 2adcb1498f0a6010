#!/usr/bin/env bash
# Runs the property tests (tests/it/properties.rs) with many cases and prints the figure:
# one line per strategy ("properties[merge]: cases N, seed S, runs R, seconds S, failures F"; proptest stops
# at the first failure, so R, the cases actually run with shrinking, can be below N) and a total.
#
#   scripts/properties.sh            # 10,000 cases per strategy
#   scripts/properties.sh 2000       # another number
#   PROP_EXCLUDE=loop,sparse scripts/properties.sh   # with generator classes switched off
#
# The full log (minimal failing cases with their shapes) is kept in target/properties.log.
# Failing seeds are saved in tests/it/proptest-regressions/ and replayed first next time.
# Cases are drawn at random here (PROP_RANDOM=1); `cargo test` draws them from a fixed seed.
set -u
cd "$(dirname "$0")/.."
cases="${1:-10000}"
log=target/properties.log
mkdir -p target
start=$(date +%s)
PROP_RANDOM="${PROP_RANDOM:-1}" PROPTEST_CASES="$cases" cargo test --test it properties:: -- --nocapture --test-threads 2 >"$log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
grep -E '^properties\[[a-z]+\]: cases' "$log" || echo "no property summary in $log (build failure?)"
grep -A3 'minimal failing case' "$log" | grep -E '^(P[0-9]|properties)' || true
failures=$(grep -cE '^properties\[[a-z]+\]: cases .* failures 1$' "$log")
echo "properties: cases ${cases} per strategy (merge, backup), seconds ${secs} (wall, with build), failures ${failures}; log ${log}"
exit $rc
