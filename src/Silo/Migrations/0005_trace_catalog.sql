-- TraceReplay schema 0005: the trace catalog behind GET /api/v1/traces and sweeps' trace selection.
--
-- One row per trace with what lists and filters need, never span payloads (those stay in the trace's grain).
-- Times are kept as .NET UTC ticks (100 ns) next to their timestamptz form: the cursor is (timestamp ticks, id),
-- and PostgreSQL's microsecond timestamps would not round-trip it exactly.

CREATE TABLE IF NOT EXISTS trace_catalog
(
    project             text             NOT NULL,
    trace_id            text COLLATE "C" NOT NULL,  -- ordinal order, as the cursor compares ids
    name                text             NOT NULL,
    status              smallint         NOT NULL,  -- SpanStatus: 0 OK, 1 ERROR
    tags                text[]           NOT NULL DEFAULT '{}',
    metadata_json       text             NULL,
    timestamp_ticks     bigint           NOT NULL,
    trace_time          timestamptz      NOT NULL,
    end_ticks           bigint           NULL,
    duration_ms         double precision NULL,
    total_tokens        bigint           NOT NULL DEFAULT 0,
    total_cost          numeric          NULL,
    span_count          integer          NOT NULL DEFAULT 0,
    models              text[]           NOT NULL DEFAULT '{}',
    replay_of_trace_id  text             NULL,
    replay_of_replay_id text             NULL,
    simulated           boolean          NOT NULL DEFAULT false,
    created_ticks       bigint           NOT NULL,
    updated_at          timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (project, trace_id)
);

-- Newest-first keyset paging within a project, and the date filters.
CREATE INDEX IF NOT EXISTS trace_catalog_newest ON trace_catalog (project, timestamp_ticks DESC, trace_id DESC);
-- "tags contain all of" and "uses model" filters.
CREATE INDEX IF NOT EXISTS trace_catalog_tags ON trace_catalog USING gin (tags);
CREATE INDEX IF NOT EXISTS trace_catalog_models ON trace_catalog USING gin (models);
-- Status filter (ERROR traces are the rare ones worth finding fast).
CREATE INDEX IF NOT EXISTS trace_catalog_status ON trace_catalog (project, status, timestamp_ticks DESC);
-- Replays of a trace.
CREATE INDEX IF NOT EXISTS trace_catalog_replay_of ON trace_catalog (replay_of_trace_id) WHERE replay_of_trace_id IS NOT NULL;
-- The retention sweep: oldest first across projects.
CREATE INDEX IF NOT EXISTS trace_catalog_age ON trace_catalog (timestamp_ticks);
