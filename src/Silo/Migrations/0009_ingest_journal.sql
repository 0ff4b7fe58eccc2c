-- TraceReplay schema 0009: the ingest journal.
--
-- One row per accepted ingestion batch (POST /api/v1/traces, OTLP exports): committing the row is what accepts the
-- request. The payload is the batch (each trace's part) in Orleans' serializer format. The row is deleted once every
-- trace of the batch applied it; ingest recovery applies rows older than a few seconds (an interrupted request).

CREATE TABLE IF NOT EXISTS ingest_journal
(
    batch_id    text        PRIMARY KEY,
    journaled_at timestamptz NOT NULL DEFAULT now(),
    payload     bytea       NOT NULL
);

-- Recovery reads the oldest rows first.
CREATE INDEX IF NOT EXISTS ingest_journal_journaled_at ON ingest_journal (journaled_at);
