#!/usr/bin/env bash
# Runs the tests and ends with one line "Tests: N passed, N failed" read from the test results.
# Exits non-zero when anything failed or nothing ran.
#
#   scripts/test.sh           every test: provisions PostgreSQL and Chromium first (what .ci/run calls)
#   scripts/test.sh --fast    only the unit tests (Category=unit): no server, no browser, no cluster
#
# Any further arguments go to `dotnet test`.
set -uo pipefail
cd "$(dirname "$0")/.."

fast=false
if [ "${1:-}" = "--fast" ]; then
  fast=true
  shift
fi

results="$(mktemp -d)"

if [ "$fast" = true ]; then
  trap 'rm -rf "$results"' EXIT
  dotnet test test/TraceReplay.Tests --configuration Release --filter "Category=unit" \
    --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
  status=$?
else
  source scripts/chromium.sh
  source scripts/postgres.sh
  trap 'tracereplay_postgres_stop; rm -rf "$results"' EXIT

  if ! tracereplay_postgres_start; then
    # Tests that need PostgreSQL fail under CI=true when TRACEREPLAY_TEST_POSTGRES is missing; locally they skip.
    echo "PostgreSQL: could not be started; its tests will fail under CI=true and skip otherwise" >&2
  fi

  dotnet test TraceReplay.sln --configuration Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
  status=$?
fi

passed=0
failed=0
skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${n:-0}))
done

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
  failed=1   # the build or the test host failed before any result was written
fi

if [ "$skipped" -gt 0 ]; then
  echo "Tests: $passed passed, $failed failed, $skipped skipped"
else
  echo "Tests: $passed passed, $failed failed"
fi
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
