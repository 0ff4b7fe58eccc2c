#!/usr/bin/env bash
# Benchmark (not a test): batch ingestion through POST /api/v1/traces into PostgreSQL.
# Starts a throwaway PostgreSQL (scripts/postgres.sh) unless TRACEREPLAY_TEST_POSTGRES is set, runs the all-in-one API
# (Release) on it, posts BATCHES batches of TRACES_PER_BATCH traces x SPANS_PER_TRACE spans from PARALLEL clients,
# and prints spans per second. Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
BATCHES="${BATCHES:-40}"
SPANS_PER_TRACE="${SPANS_PER_TRACE:-20}"
# The API takes at most 1,000 events a request (TraceReplay:Limits:MaxBatchEvents): a trace is 1 + its spans events.
TRACES_PER_BATCH="${TRACES_PER_BATCH:-$(( 1000 / (SPANS_PER_TRACE + 1) ))}"
PARALLEL="${PARALLEL:-8}"
PORT="${PORT:-25181}"

work="$(mktemp -d)"
source scripts/postgres.sh
api_pid=""
cleanup() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null; wait 2>/dev/null; tracereplay_postgres_stop; rm -rf "$work"; }
trap cleanup EXIT
tracereplay_postgres_start

dotnet build src/Api -c Release -v q >/dev/null
TRACEREPLAY_POSTGRES="$TRACEREPLAY_TEST_POSTGRES" TRACEREPLAY_API_KEY=bench Logging__LogLevel__Default=Warning \
  TraceReplay__Api__SeedDemoData=false \
  dotnet src/Api/bin/Release/net10.0/TraceReplay.Api.dll --urls "http://127.0.0.1:$PORT" >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 120); do
  curl -sf -o /dev/null -H "Authorization: Bearer bench" "http://127.0.0.1:$PORT/api/v1/models" && break
  sleep 0.5
done

python3 - "$work" "$BATCHES" "$TRACES_PER_BATCH" "$SPANS_PER_TRACE" <<'PY'
import json, sys, uuid
work, batches, traces, spans = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for b in range(batches + 1):  # batch 0 warms the API up
    events = []
    for t in range(traces):
        tid = f"bench-{b}-{t}-{uuid.uuid4().hex[:8]}"
        events.append({"id": uuid.uuid4().hex, "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z",
                       "body": {"id": tid, "name": "bench-agent", "tags": ["bench"], "timestamp": "2026-01-01T00:00:00Z"}})
        for s in range(spans):
            events.append({"id": uuid.uuid4().hex, "type": "span-create", "timestamp": "2026-01-01T00:00:00Z",
                           "body": {"trace_id": tid, "id": f"s{s}", "parent_span_id": None if s == 0 else "s0",
                                    "name": f"step-{s}", "type": "LLM" if s % 2 else "TOOL",
                                    "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:00:01Z",
                                    "model": "gpt-4o-mini" if s % 2 else None,
                                    "input": {"messages": [{"role": "user", "content": f"question {s} of {tid}"}]},
                                    "output": f"answer {s}", "usage": {"prompt_tokens": 50, "completion_tokens": 20}}})
    with open(f"{work}/batch-{b}.json", "w") as f:
        json.dump({"batch": events}, f)
PY

post() { curl -sf -o /dev/null -H "Authorization: Bearer bench" -H "Content-Type: application/json" --data-binary "@$1" "http://127.0.0.1:$PORT/api/v1/traces"; }
export -f post; export PORT
post "$work/batch-0.json"
start=$(date +%s.%N)
seq 1 "$BATCHES" | sed "s|.*|$work/batch-&.json|" | xargs -P "$PARALLEL" -I{} bash -c 'post {}'
end=$(date +%s.%N)
spans=$((BATCHES * TRACES_PER_BATCH * SPANS_PER_TRACE))
python3 -c "import sys; s=$spans; t=$end-$start; print(f'ingested {s} spans ({$BATCHES} batches x {$TRACES_PER_BATCH} traces x {$SPANS_PER_TRACE} spans, {$PARALLEL} clients) in {t:.2f} s: {s/t:,.0f} spans/s')"
rows=$(psql "$(echo "$TRACEREPLAY_TEST_POSTGRES" | sed 's/;/ /g; s/Host=/host=/; s/Port=/port=/; s/Database=/dbname=/; s/Username=/user=/; s/Maximum Pool Size=[0-9]*//')" -Atc "select count(*) from trace_catalog")
echo "catalog rows: $rows (expected $(( (BATCHES + 1) * TRACES_PER_BATCH )))"
