-- TraceReplay schema 0012: the replay result journal.
--
-- One row per finished LLM call of a replay still running: its result (and the price it was charged at) in Orleans'
-- serializer format. A replay resumed after a crash reads its rows and makes none of those calls again; its grain
-- state is written once, at completion, with the new trace, and its rows are then deleted.

CREATE TABLE IF NOT EXISTS replay_results
(
    replay_id   text        NOT NULL,
    span_id     text        NOT NULL,
    journaled_at timestamptz NOT NULL DEFAULT now(),
    payload     bytea       NOT NULL,
    PRIMARY KEY (replay_id, span_id)
);
