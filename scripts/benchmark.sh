#!/usr/bin/env bash
# The benchmark suite (not a test: CI never runs it). Builds Release, starts a throwaway PostgreSQL at its default
# settings (scripts/postgres.sh: fsync, synchronous_commit, full_page_writes on), runs every load-driver scenario at
# the product's defaults (sweep window, polls, checkpoints, TraceReplay:Postgres:MaxConnections) against a fake
# OpenAI-compatible server on loopback, and writes benchmarks/results/RESULTS.md (targets P1-P5, before/after when
# benchmarks/results/baseline.jsonl exists). The P2-*-tuned rows (a window of 100) are extra lines, not targets.
#   MICRO=1 scripts/benchmark.sh   also runs the BenchmarkDotNet micro-benchmarks (benchmarks/TraceReplay.Benchmarks)
#   ONLY="P1-memory-1 P3" ...      runs only the named scenarios
# Sizes can be turned down for a quick look: P1_TRACES, P2_TRACES, P4_TRACES, P3_BATCHES.
#   NOTE="..." scripts/benchmark.sh  adds a line about the run (e.g. that the machine was loaded) to RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
results="$out/results.jsonl"
mkdir -p "$out"
: >"$results"

unset TRACEREPLAY_TEST_POSTGRES
source scripts/postgres.sh
trap tracereplay_postgres_stop EXIT
tracereplay_postgres_start

for project in src/Api src/Silo benchmarks/TraceReplay.LoadDriver; do
  dotnet build "$project" -c Release -v q -nologo >/dev/null
done
driver() { dotnet benchmarks/TraceReplay.LoadDriver/bin/Release/net10.0/TraceReplay.LoadDriver.dll "$@"; }

# A fresh database per scenario, so no scenario reads another's rows.
pg_port="$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$TRACEREPLAY_TEST_POSTGRES")"
fresh_db() {
  local name="bench_$1_$RANDOM"
  name="${name//-/_}"
  "${TRACEREPLAY_PG_AS[@]}" "$TRACEREPLAY_PG_BIN/createdb" -h "$TRACEREPLAY_PG_DIR" -p "$pg_port" -U postgres "${name,,}"
  # No pool size here: each process's pool is the product's TraceReplay:Postgres:MaxConnections (default 20).
  echo "Host=127.0.0.1;Port=$pg_port;Database=${name,,};Username=postgres"
}
wanted() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
run() { local id="$1"; shift; wanted "$id" && driver "$@" --id "$id" --out "$results"; return 0; }

P1_TRACES="${P1_TRACES:-300}"
P2_TRACES="${P2_TRACES:-4000}"
# Issue 20's P4: one sweep of 100,000 traces, the most one takes (SweepFilter.MaxTraces).
P4_TRACES="${P4_TRACES:-100000}"
run P1-memory-1 sweep --latency-ms 100 --traces "$P1_TRACES"
wanted P1-postgres-1 && run P1-postgres-1 sweep --latency-ms 100 --traces "$P1_TRACES" --postgres "$(fresh_db p1)"
wanted P1-postgres-2 && run P1-postgres-2 sweep --latency-ms 100 --traces $((P1_TRACES * 2)) --silos 2 --postgres "$(fresh_db p1x2)"
run P2-memory sweep --latency-ms 0 --traces "$P2_TRACES"
wanted P2-postgres && run P2-postgres sweep --latency-ms 0 --traces "$P2_TRACES" --postgres "$(fresh_db p2)"
# Extra lines, not targets: the same with a window of 100 replays in flight.
run P2-memory-tuned sweep --latency-ms 0 --traces "$P2_TRACES" --max-in-flight 100
wanted P2-postgres-tuned && run P2-postgres-tuned sweep --latency-ms 0 --traces "$P2_TRACES" --max-in-flight 100 --postgres "$(fresh_db p2t)"
# P3 is the warm rate: 6,000 traces go in unmeasured first, as the JIT's tiered compilation took about a fifth of the
# machine for the first half-minute after start (perf), and none later. P3-cold is an extra line: the same 100 batches
# after only 1,000 traces, a server's first seconds.
wanted P3 && run P3 ingest --batches "${P3_BATCHES:-100}" --traces-per-batch 50 --spans 20 --parallel 8 --warmup 6000 --postgres "$(fresh_db p3)"
wanted P3-cold && run P3-cold ingest --batches "${P3_BATCHES:-100}" --traces-per-batch 50 --spans 20 --parallel 8 --warmup 1000 --postgres "$(fresh_db p3c)"
wanted P4 && run P4 sweep --latency-ms 0 --traces "$P4_TRACES" --warmup 500 --timeout-s 7200 --postgres "$(fresh_db p4)"

driver report --results "$results" --baseline "$out/baseline.jsonl" --markdown "$out/RESULTS.md" ${NOTE:+--note "$NOTE"}

if [ "${MICRO:-0}" = 1 ]; then
  dotnet run -c Release --project benchmarks/TraceReplay.Benchmarks -- --filter '*' --artifacts "$out/micro" --join
  cp "$out"/micro/results/*-report-github.md "$out/MICRO.md"
fi
