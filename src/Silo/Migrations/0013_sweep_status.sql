-- TraceReplay schema 0013: sweeps' published status.
--
-- One row per sweep: the snapshot its grain published at its last checkpoint (status, counts, spend, times), in
-- Orleans' serializer format. The API answers GET /api/v1/sweeps and /api/v1/sweeps/{id} from here, without calling
-- into the silo that runs the sweep. A sweep stored before this table fills its row when its grain next activates.

CREATE TABLE IF NOT EXISTS sweep_status
(
    sweep_id     text        PRIMARY KEY,
    project      text        NOT NULL,
    created_at   timestamptz NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    snapshot     bytea       NOT NULL
);

CREATE INDEX IF NOT EXISTS sweep_status_by_project ON sweep_status (project, created_at DESC, sweep_id DESC);
