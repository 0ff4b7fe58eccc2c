-- TraceReplay schema 0007: traces kept past retention while something refers to them.
--
-- One row per (trace, holder): 'manual' for a pin by hand (POST /api/v1/traces/{id}/pin), 'sweep:<id>' for a sweep's
-- sources, replay traces and its baseline's traces. The retention pass skips every trace with a row here; deleting the
-- sweep deletes its rows. No foreign key to trace_catalog: a sweep pins a replay trace whose catalog row may be written
-- a moment later, and a purged trace's pins simply match nothing. Pins count per project, against
-- TraceReplay:Retention:MaxPinnedTraces.

CREATE TABLE IF NOT EXISTS trace_pins
(
    project   text             NOT NULL,
    trace_id  text COLLATE "C" NOT NULL,
    holder    text             NOT NULL,
    pinned_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (project, trace_id, holder)
);

-- Releasing a sweep's pins, and counting a project's.
CREATE INDEX IF NOT EXISTS trace_pins_holder ON trace_pins (project, holder);
