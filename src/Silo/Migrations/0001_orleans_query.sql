-- TraceReplay schema 0001: the statement registry the Orleans ADO.NET providers read at start-up.
--
-- Each provider loads its SQL with "SELECT QueryKey, QueryText FROM OrleansQuery" and runs it with named
-- parameters (@ServiceId, @DeploymentId, ...), reading result columns by name. PostgreSQL folds unquoted
-- identifiers to lower case, so the table and its two columns are spelled in lower case here.
-- Later scripts register their statements with an upsert, so re-running any script replaces its text in place.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL PRIMARY KEY,
    querytext text        NOT NULL
);
