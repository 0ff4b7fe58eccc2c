-- TraceReplay schema 0007: a trace's total tokens may be unknown.
--
-- A trace with an LLM span that recorded no token counts (a streamed call exported without usage) has no known total,
-- as an unknown cost has no total: the row stores NULL instead of a made-up 0. Existing rows keep their numbers.

ALTER TABLE trace_catalog ALTER COLUMN total_tokens DROP NOT NULL;
ALTER TABLE trace_catalog ALTER COLUMN total_tokens DROP DEFAULT;
