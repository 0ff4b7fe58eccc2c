-- TraceReplay schema 0002: cluster membership for Microsoft.Orleans.Clustering.AdoNet.
--
-- One row per cluster carries the membership version (the table's optimistic-concurrency token); one row per
-- silo incarnation (address, port, generation) carries its status and liveness. Every change to a silo row bumps
-- the version in the same statement, and only when the caller's @Version is still current.

CREATE TABLE IF NOT EXISTS orleans_cluster
(
    cluster_id  varchar(150) NOT NULL PRIMARY KEY,
    version     integer      NOT NULL DEFAULT 0,
    changed_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_silo
(
    cluster_id      varchar(150)  NOT NULL REFERENCES orleans_cluster (cluster_id) ON DELETE CASCADE,
    address         varchar(45)   NOT NULL,
    port            integer       NOT NULL,
    generation      integer       NOT NULL,
    silo_name       varchar(150)  NOT NULL,
    host_name       varchar(150)  NOT NULL,
    status          integer       NOT NULL,
    proxy_port      integer       NOT NULL DEFAULT 0,
    suspect_times   text          NULL,
    start_time      timestamptz   NOT NULL,
    i_am_alive_time timestamptz   NOT NULL,
    PRIMARY KEY (cluster_id, address, port, generation)
);

INSERT INTO orleansquery (querykey, querytext) VALUES

-- Creates the cluster's version row; answers 1 when created, 0 when it already existed.
('InsertMembershipVersionKey', $sql$
    WITH created AS (
        INSERT INTO orleans_cluster (cluster_id) VALUES (@DeploymentId)
        ON CONFLICT (cluster_id) DO NOTHING
        RETURNING 1)
    SELECT count(*) AS created FROM created
$sql$),

-- Adds a silo incarnation if the caller's table version is current; the version row is locked first, so of two
-- silos joining at once exactly one wins and the other re-reads and retries.
('InsertMembershipKey', $sql$
    WITH bumped AS (
        UPDATE orleans_cluster
           SET version = version + 1, changed_at = now()
         WHERE cluster_id = @DeploymentId AND version = @Version
        RETURNING cluster_id),
    joined AS (
        INSERT INTO orleans_silo (cluster_id, address, port, generation, silo_name, host_name, status, proxy_port,
                                  start_time, i_am_alive_time)
        SELECT cluster_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, coalesce(@ProxyPort, 0),
               @StartTime, @IAmAliveTime
          FROM bumped
        ON CONFLICT (cluster_id, address, port, generation) DO NOTHING
        RETURNING 1)
    SELECT count(*) AS joined FROM joined
$sql$),

-- Changes a silo's status and suspicions under the same version check.
('UpdateMembershipKey', $sql$
    WITH bumped AS (
        UPDATE orleans_cluster
           SET version = version + 1, changed_at = now()
         WHERE cluster_id = @DeploymentId AND version = @Version
        RETURNING cluster_id),
    changed AS (
        UPDATE orleans_silo AS s
           SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
          FROM bumped
         WHERE s.cluster_id = bumped.cluster_id
           AND s.address = @Address AND s.port = @Port AND s.generation = @Generation
        RETURNING 1)
    SELECT count(*) AS changed FROM changed
$sql$),

-- The heartbeat: no version check, nobody reads its outcome.
('UpdateIAmAlivetimeKey', $sql$
    UPDATE orleans_silo
       SET i_am_alive_time = @IAmAliveTime
     WHERE cluster_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$sql$),

-- One silo with the table version; the outer join still yields the version when the silo is unknown.
('MembershipReadRowKey', $sql$
    SELECT c.cluster_id       AS deploymentid,
           s.address          AS address,
           s.port             AS port,
           s.generation       AS generation,
           s.silo_name        AS siloname,
           s.host_name        AS hostname,
           s.status           AS status,
           s.proxy_port       AS proxyport,
           s.suspect_times    AS suspecttimes,
           s.start_time       AS starttime,
           s.i_am_alive_time  AS iamalivetime,
           c.version          AS version
      FROM orleans_cluster AS c
      LEFT JOIN orleans_silo AS s
        ON s.cluster_id = c.cluster_id
       AND s.address = @Address AND s.port = @Port AND s.generation = @Generation
     WHERE c.cluster_id = @DeploymentId
$sql$),

-- Every silo of the cluster with the table version.
('MembershipReadAllKey', $sql$
    SELECT c.cluster_id       AS deploymentid,
           s.address          AS address,
           s.port             AS port,
           s.generation       AS generation,
           s.silo_name        AS siloname,
           s.host_name        AS hostname,
           s.status           AS status,
           s.proxy_port       AS proxyport,
           s.suspect_times    AS suspecttimes,
           s.start_time       AS starttime,
           s.i_am_alive_time  AS iamalivetime,
           c.version          AS version
      FROM orleans_cluster AS c
      LEFT JOIN orleans_silo AS s ON s.cluster_id = c.cluster_id
     WHERE c.cluster_id = @DeploymentId
$sql$),

-- Forgets a whole cluster; its silo rows go with it (ON DELETE CASCADE).
('DeleteMembershipTableEntriesKey', $sql$
    DELETE FROM orleans_cluster WHERE cluster_id = @DeploymentId
$sql$),

-- Gateways clients may connect to: silos in the requested status (Active) that expose a gateway port.
('GatewaysQueryKey', $sql$
    SELECT address AS address, proxy_port AS proxyport, generation AS generation
      FROM orleans_silo
     WHERE cluster_id = @DeploymentId AND status = @Status AND proxy_port > 0
$sql$),

-- Removes long-silent incarnations that are not Active (status 3), e.g. old generations of restarted silos.
('CleanupDefunctSiloEntriesKey', $sql$
    DELETE FROM orleans_silo
     WHERE cluster_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status <> 3
$sql$),
('CleanupDefunctSiloEntryKey', $sql$
    DELETE FROM orleans_silo
     WHERE cluster_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status <> 3
$sql$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
