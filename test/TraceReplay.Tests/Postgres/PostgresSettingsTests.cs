using Microsoft.Extensions.Configuration;
using Npgsql;
using TraceReplay.Silo.Postgres;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

/// <summary>The connection string every PostgreSQL user in the process gets (no server needed).</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class PostgresSettingsTests
{
    private static string? From(string? connectionString) =>
        PostgresSettings.ConnectionString(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString }).Build());

    [Fact]
    public void PooledConnectionsSkipTheResetAndPrepareTheHotStatementsByDefault()
    {
        var tuned = new NpgsqlConnectionStringBuilder(From("Host=127.0.0.1;Port=5432;Database=tr;Username=app;Password=pw"));

        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(32, tuned.MaxAutoPrepare);
        Assert.Equal("127.0.0.1", tuned.Host);
        Assert.Equal("pw", tuned.Password);
    }

    [Fact]
    public void WhatTheConfiguredStringSaysWins()
    {
        var tuned = new NpgsqlConnectionStringBuilder(From("Host=db;No Reset On Close=false;Max Auto Prepare=0"));

        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
    }

    [Fact]
    public void NoConnectionStringMeansInMemoryMode() => Assert.Null(From(null));
}
