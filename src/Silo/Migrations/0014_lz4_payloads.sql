-- TraceReplay schema 0014: the large binary columns are compressed with lz4 rather than pglz.
--
-- A trace's grain state (about 6 KB for 20 spans) and an ingest batch (about 300 KB for 50 such traces) are over the
-- TOAST threshold, so PostgreSQL compresses every one written: with pglz that was the database's largest CPU cost
-- during ingestion. lz4 compresses several times faster at a similar ratio (P3, side by side: 18,277-20,608 spans/s
-- with pglz, 21,694-25,005 with lz4). Only values written from now on are affected; stored ones are read as they are.
-- A server built without lz4 (it lists no 'lz4' among default_toast_compression's values) keeps pglz.

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE orleans_grain_state ALTER COLUMN payload SET COMPRESSION lz4;
        ALTER TABLE ingest_journal ALTER COLUMN payload SET COMPRESSION lz4;
        ALTER TABLE replay_results ALTER COLUMN payload SET COMPRESSION lz4;
        ALTER TABLE sweep_status ALTER COLUMN snapshot SET COMPRESSION lz4;
    END IF;
END $$;
