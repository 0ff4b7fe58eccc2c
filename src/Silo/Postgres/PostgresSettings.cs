using Microsoft.Extensions.Configuration;
using Npgsql;

namespace TraceReplay.Silo.Postgres;

/// <summary>Where the PostgreSQL connection string comes from, and the ADO.NET invariant Orleans uses for it.</summary>
public static class PostgresSettings
{
    /// <summary>The ADO.NET provider invariant of Npgsql, as the Orleans ADO.NET providers expect it.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>The environment variable that may carry the connection string instead of ConnectionStrings:Postgres.</summary>
    public const string EnvironmentVariable = "TRACEREPLAY_POSTGRES";

    /// <summary>
    /// <c>ConnectionStrings:Postgres</c>, else <c>TRACEREPLAY_POSTGRES</c>; null when neither is set (in-memory mode).
    /// Unless the string says otherwise, pooled connections skip Npgsql's reset (a <c>DISCARD ALL</c> before every
    /// statement: nothing here keeps session state) and the statements used most are prepared once per connection.
    /// </summary>
    public static string? ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres") is { Length: > 0 } fromSection ? Tuned(fromSection)
        : configuration[EnvironmentVariable] is { Length: > 0 } fromVariable ? Tuned(fromVariable)
        : null;

    /// <summary>The process's one data source: every PostgreSQL user borrows from its pool of <paramref name="maxConnections"/>.</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString, int maxConnections) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxPoolSize = maxConnections,
            MinPoolSize = 0,
        });

    private static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }

        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 32;
        }

        return builder.ConnectionString;
    }
}

/// <summary>PostgreSQL behaviour (section <c>TraceReplay:Postgres</c>).</summary>
public sealed class PostgresOptions
{
    public const string Section = "TraceReplay:Postgres";

    /// <summary>Apply the schema migrations when a silo starts. Default true; safe with many silos starting at once.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// The process's PostgreSQL connection budget: the most connections it opens, shared by grain storage, the catalog,
    /// clustering, reminders, migration and the health check (one Npgsql data source). Default 20. A request that needs
    /// a connection while all are busy waits up to the connection string's <c>Timeout</c> (Npgsql's default 15 s), then
    /// is refused with 503. Replaces any <c>Maximum Pool Size</c> in the connection string. Keep
    /// (silos + API processes) × MaxConnections under the server's <c>max_connections</c> minus what other clients use.
    /// </summary>
    public int MaxConnections { get; set; } = 20;

    /// <summary>Most catalog rows written in one statement. Default 500.</summary>
    public int CatalogBatchSize { get; set; } = 500;
}
