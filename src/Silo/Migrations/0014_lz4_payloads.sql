-- TraceReplay schema 0014: the large binary columns are compressed with lz4 rather than pglz.
--
-- A trace's grain state (about 6 KB for 20 spans) and an ingest batch (about 300 KB for 50 such traces) are over the
-- TOAST threshold, so PostgreSQL compresses every one written: pglz_compress was the largest function in PostgreSQL's
-- CPU profile during ingestion (perf). lz4 compresses several times faster at a similar ratio (P3, 3 pairs of runs
-- side by side: 18,277-20,608 spans/s with pglz, 21,694-25,005 with lz4 as the database's default). Only values written from now on are affected; stored ones are read as they are.
-- A server built without lz4 (it lists no 'lz4' among default_toast_compression's values) keeps pglz, and so does
-- PostgreSQL 13, which has neither the setting nor SET COMPRESSION (hence EXECUTE: the statements are parsed only when run).

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE 'ALTER TABLE orleans_grain_state ALTER COLUMN payload SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE ingest_journal ALTER COLUMN payload SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE replay_results ALTER COLUMN payload SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE sweep_status ALTER COLUMN snapshot SET COMPRESSION lz4';
    END IF;
END $$;
