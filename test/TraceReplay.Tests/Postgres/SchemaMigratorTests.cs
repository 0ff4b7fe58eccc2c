using Microsoft.Extensions.Logging.Abstractions;
using TraceReplay.Silo.Postgres;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class SchemaMigratorTests
{
    /// <summary>Every statement the three Orleans ADO.NET providers load from OrleansQuery.</summary>
    private static readonly string[] ProviderQueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
        "CleanupDefunctSiloEntriesKey",
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey",
        "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "UpsertReminderRowKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    [PostgresFact]
    public async Task MigratingAFreshDatabaseAppliesEveryScriptOnceAndRegistersEveryProviderQuery()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        var migrator = new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance);
        var first = await migrator.MigrateAsync();
        var second = await migrator.MigrateAsync();

        Assert.Equal(SchemaMigrator.Migrations.Select(m => m.Version), first);
        Assert.Empty(second);
        Assert.Equal(SchemaMigrator.Migrations.Count, (int)await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM schema_migrations"));
        var keys = await TestPostgres.ScalarAsync<string[]>(db, "SELECT array_agg(querykey) FROM orleansquery");
        Assert.Empty(ProviderQueryKeys.Except(keys));
    }

    [PostgresFact]
    public async Task SilosMigratingTheSameDatabaseAtOnceApplyEachScriptExactlyOnce()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync())));

        Assert.Equal(SchemaMigrator.Migrations.Select(m => m.Version), runs.SelectMany(r => r).Order());
        Assert.Equal(SchemaMigrator.Migrations.Count, (int)await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM schema_migrations"));
    }

    [PostgresFact]
    public async Task LargeBinaryColumnsAreCompressedWithLz4WhenTheServerHasIt()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        // Debian's PostgreSQL (CI's) is built with lz4; a server without it keeps pglz and the migration still applies.
        var hasLz4 = await TestPostgres.ScalarAsync<bool>(db,
            "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))");
        var lz4Columns = await TestPostgres.ScalarAsync<long>(db, """
            SELECT count(*) FROM pg_attribute
            WHERE attcompression = 'l' AND (attrelid::regclass::text, attname) IN
                (('orleans_grain_state', 'payload'), ('ingest_journal', 'payload'), ('replay_results', 'payload'), ('sweep_status', 'snapshot'))
            """);
        Assert.Equal(hasLz4 ? 4 : 0, lz4Columns);

        // A value over the TOAST threshold is stored compressed, with the column's method.
        await TestPostgres.ScalarAsync<object?>(db,
            "INSERT INTO ingest_journal (batch_id, payload) VALUES ('lz4-check', convert_to(repeat('a span of a trace ', 5000), 'UTF8'))");
        Assert.Equal(hasLz4 ? "lz4" : "pglz",
            await TestPostgres.ScalarAsync<string>(db, "SELECT pg_column_compression(payload) FROM ingest_journal WHERE batch_id = 'lz4-check'"));
    }

    [PostgresFact]
    public async Task EveryScriptCanRunAgainOnAMigratedDatabase()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var connection = new Npgsql.NpgsqlConnection(db);
        await connection.OpenAsync();
        foreach (var migration in SchemaMigrator.Migrations)
        {
            await using var again = new Npgsql.NpgsqlCommand(migration.Sql, connection);
            await again.ExecuteNonQueryAsync();
        }

        Assert.Equal(ProviderQueryKeys.Length + 1, (int)await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM orleansquery"));
    }
}
