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
