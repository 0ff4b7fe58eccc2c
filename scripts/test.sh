#!/usr/bin/env bash
# Runs every test and ends with one line "Tests: N passed, N failed" read from the test results.
# Exits non-zero when anything failed or nothing ran.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/chromium.sh

results="$(mktemp -d)"
source scripts/postgres.sh
trap 'tracereplay_postgres_stop; rm -rf "$results"' EXIT

if ! tracereplay_postgres_start; then
  # Tests that need PostgreSQL fail under CI=true when TRACEREPLAY_TEST_POSTGRES is missing; locally they skip.
  echo "PostgreSQL: could not be started; its tests will fail under CI=true and skip otherwise" >&2
fi

dotnet test TraceReplay.sln --configuration Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
  failed=1   # the build or the test host failed before any result was written
fi

echo "Tests: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
