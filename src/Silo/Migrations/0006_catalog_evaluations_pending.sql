-- TraceReplay schema 0006: which traces still wait for evaluator scores, for evaluation recovery.
--
-- The trace grain writes evaluations_pending = true in the same upsert as the state write that snapshots the trace's
-- evaluators, and clears it after the last score. EvaluationRecoveryGrain pages through the rows still set that are
-- older than the re-drive interval, oldest first across projects, and re-drives them: one scan instead of one
-- reminder per trace. Existing rows start as false: a trace still pending from before has its old per-trace reminder,
-- whose next tick sets the flag from the trace's state and unregisters itself.

ALTER TABLE trace_catalog ADD COLUMN IF NOT EXISTS evaluations_pending boolean NOT NULL DEFAULT false;

-- Only pending rows are indexed, so the index stays as small as the backlog; its order is the recovery's keyset
-- (project in ordinal order, as trace_id already is).
CREATE INDEX IF NOT EXISTS trace_catalog_evaluations_pending
    ON trace_catalog (created_ticks, project COLLATE "C", trace_id) WHERE evaluations_pending;
