-- TraceReplay schema 0004: durable reminders for Microsoft.Orleans.Reminders.AdoNet.
--
-- A reminder is keyed by service, grain and name. grain_hash is the grain id's uniform hash (sent as a signed
-- 32-bit integer): each silo reads the reminders whose hash falls in its share of the ring, so when a silo dies the
-- survivors take over its reminders by reading the ranges they inherit. "version" is the reminder's ETag.

CREATE TABLE IF NOT EXISTS orleans_reminder
(
    service_id    varchar(150) NOT NULL,
    grain_id      text         NOT NULL,
    reminder_name varchar(150) NOT NULL,
    start_time    timestamptz  NOT NULL,
    period_ms     bigint       NOT NULL,
    grain_hash    integer      NOT NULL,
    version       integer      NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS orleans_reminder_by_hash ON orleans_reminder (service_id, grain_hash);

INSERT INTO orleansquery (querykey, querytext) VALUES

('ReadReminderRowsKey', $sql$
    SELECT grain_id AS grainid, reminder_name AS remindername, start_time AS starttime, period_ms AS period,
           version AS version
      FROM orleans_reminder
     WHERE service_id = @ServiceId AND grain_id = @GrainId
$sql$),

('ReadReminderRowKey', $sql$
    SELECT grain_id AS grainid, reminder_name AS remindername, start_time AS starttime, period_ms AS period,
           version AS version
      FROM orleans_reminder
     WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
$sql$),

-- A range that does not wrap around: (@BeginHash, @EndHash].
('ReadRangeRows1Key', $sql$
    SELECT grain_id AS grainid, reminder_name AS remindername, start_time AS starttime, period_ms AS period,
           version AS version
      FROM orleans_reminder
     WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
$sql$),

-- A range that wraps around the end of the ring: above @BeginHash or up to @EndHash.
('ReadRangeRows2Key', $sql$
    SELECT grain_id AS grainid, reminder_name AS remindername, start_time AS starttime, period_ms AS period,
           version AS version
      FROM orleans_reminder
     WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$sql$),

-- Creates or replaces a reminder and answers its new version.
('UpsertReminderRowKey', $sql$
    INSERT INTO orleans_reminder AS r (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash)
    VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash)
    ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
       SET start_time = excluded.start_time, period_ms = excluded.period_ms, grain_hash = excluded.grain_hash,
           version = r.version + 1
    RETURNING r.version AS version
$sql$),

-- Deletes a reminder if the caller's version is current; answers 1 when deleted, 0 otherwise.
('DeleteReminderRowKey', $sql$
    WITH removed AS (
        DELETE FROM orleans_reminder
         WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
           AND version = @Version
        RETURNING 1)
    SELECT count(*) AS removed FROM removed
$sql$),

('DeleteReminderRowsKey', $sql$
    DELETE FROM orleans_reminder WHERE service_id = @ServiceId
$sql$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
