-- TraceReplay schema 0003: grain state for Microsoft.Orleans.Persistence.AdoNet.
--
-- A grain's state is one row keyed by service, grain type and grain id (the provider splits the id into two
-- 64-bit parts and a string part, and sends 32-bit hashes of the type and the id). A string part that is absent
-- is stored as '' so the whole key can be the primary key. "version" is the ETag: a write names the version it
-- read, and a write against any other version changes nothing, which the provider reports as a conflict.

CREATE TABLE IF NOT EXISTS orleans_grain_state
(
    service_id      varchar(150) NOT NULL,
    grain_type_hash integer      NOT NULL,
    grain_id_hash   integer      NOT NULL,
    grain_type      varchar(512) NOT NULL,
    grain_id_n0     bigint       NOT NULL,
    grain_id_n1     bigint       NOT NULL,
    grain_id_ext    varchar(512) NOT NULL DEFAULT '',
    payload         bytea        NULL,
    version         integer      NOT NULL,
    modified_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type_hash, grain_id_hash, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
);

INSERT INTO orleansquery (querykey, querytext) VALUES

-- First write (@GrainStateVersion null) inserts version 1 unless a row exists; later writes bump the version
-- only if it still equals @GrainStateVersion. No row in the answer means a conflict.
('WriteToStorageKey', $sql$
    WITH first_write AS (
        INSERT INTO orleans_grain_state (service_id, grain_type_hash, grain_id_hash, grain_type, grain_id_n0,
                                         grain_id_n1, grain_id_ext, payload, version)
        SELECT @ServiceId, @GrainTypeHash, @GrainIdHash, @GrainTypeString, @GrainIdN0, @GrainIdN1,
               coalesce(@GrainIdExtensionString, ''), @PayloadBinary, 1
         WHERE @GrainStateVersion IS NULL
        ON CONFLICT DO NOTHING
        RETURNING version),
    next_write AS (
        UPDATE orleans_grain_state
           SET payload = @PayloadBinary, version = version + 1, modified_at = now()
         WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
           AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
           AND grain_id_ext = coalesce(@GrainIdExtensionString, '')
           AND version = @GrainStateVersion
        RETURNING version)
    SELECT version AS newgrainstateversion FROM first_write
    UNION ALL
    SELECT version FROM next_write
$sql$),

('ReadFromStorageKey', $sql$
    SELECT payload AS payloadbinary, version AS version
      FROM orleans_grain_state
     WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
       AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
       AND grain_id_ext = coalesce(@GrainIdExtensionString, '')
$sql$),

-- ClearStateAsync keeps the row (and its version history) with no payload.
('ClearStorageKey', $sql$
    UPDATE orleans_grain_state
       SET payload = NULL, version = version + 1, modified_at = now()
     WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
       AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
       AND grain_id_ext = coalesce(@GrainIdExtensionString, '')
       AND version = @GrainStateVersion
    RETURNING version AS newgrainstateversion
$sql$),

-- With DeleteStateOnClear the row goes; the answer is the version the deleted row would have had next.
('DeleteStorageKey', $sql$
    DELETE FROM orleans_grain_state
     WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
       AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
       AND grain_id_ext = coalesce(@GrainIdExtensionString, '')
       AND version = @GrainStateVersion
    RETURNING version + 1 AS newgrainstateversion
$sql$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
