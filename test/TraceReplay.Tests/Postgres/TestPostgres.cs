using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using TraceReplay.Silo.Postgres;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// The PostgreSQL that scripts/test.sh provisions (TRACEREPLAY_TEST_POSTGRES). Each caller gets a database of its own.
/// Tests that use it are <see cref="Fixtures.PostgresFactAttribute"/>s: without the variable they fail under CI=true and
/// are reported as skipped elsewhere.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "TRACEREPLAY_TEST_POSTGRES";

    /// <summary>True when the server scripts/test.sh provisions is configured for this run.</summary>
    public static bool Configured => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable));

    /// <summary>True under CI, where a missing dependency is a failure, never a skip.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A fresh, empty database; null when PostgreSQL is not configured outside CI.</summary>
    /// <param name="server">Another server than the shared one (a test's own), as a connection string.</param>
    public static async Task<string?> CreateDatabaseAsync(string? server = null)
    {
        server ??= Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(server))
        {
            Assert.False(InCi, $"{Variable} is not set: under CI the PostgreSQL tests must run (scripts/test.sh provisions the server).");
            return null;
        }

        var name = "trt_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(Unpooled(server)))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>A fresh database with the schema applied.</summary>
    public static async Task<string?> CreateMigratedDatabaseAsync(string? server = null)
    {
        var connectionString = await CreateDatabaseAsync(server);
        if (connectionString is not null)
        {
            await new SchemaMigrator(Unpooled(connectionString), NullLogger<SchemaMigrator>.Instance).MigrateAsync();
        }

        return connectionString;
    }

    /// <summary>
    /// The test's own connections are not pooled: the server runs with PostgreSQL's default <c>max_connections</c>
    /// (100), and pooled idle connections to each test's database would linger for minutes across the suite.
    /// </summary>
    public static string Unpooled(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    /// <summary>A <see cref="PostgresTraceCatalog"/> on a fresh migrated database; null when PostgreSQL is not configured outside CI.</summary>
    public static async Task<TestCatalog?> CreateCatalogAsync(PostgresOptions? options = null)
    {
        var connectionString = await CreateMigratedDatabaseAsync();
        if (connectionString is null)
        {
            return null;
        }

        var source = NpgsqlDataSource.Create(connectionString);
        var catalog = new PostgresTraceCatalog(source, Options.Create(options ?? new PostgresOptions()), NullLogger<PostgresTraceCatalog>.Instance);
        return new TestCatalog(connectionString, source, catalog);
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>A PostgreSQL catalog for a test, with its database's connection string; disposing stops its writer.</summary>
public sealed class TestCatalog(string connectionString, NpgsqlDataSource source, PostgresTraceCatalog catalog) : IAsyncDisposable
{
    public string ConnectionString => connectionString;

    public PostgresTraceCatalog Catalog => catalog;

    public async ValueTask DisposeAsync()
    {
        await catalog.DisposeAsync();
        await source.DisposeAsync();
    }
}
