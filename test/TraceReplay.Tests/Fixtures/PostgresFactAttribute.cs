using TraceReplay.Tests.Postgres;

namespace TraceReplay.Tests.Fixtures;

/// <summary>
/// A test that needs PostgreSQL. Without <see cref="TestPostgres.Variable"/> it is reported as skipped on a developer
/// machine (saying how to get a server), but under <c>CI=true</c> it runs and fails: CI must never pass by skipping.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!TestPostgres.InCi && !TestPostgres.Configured)
        {
            Skip = $"{TestPostgres.Variable} is not set; run `source scripts/postgres.sh && tracereplay_postgres_start` (scripts/test.sh does).";
        }
    }
}
