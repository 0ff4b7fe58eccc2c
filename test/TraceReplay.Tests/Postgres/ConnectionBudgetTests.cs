using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Operability;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// One PostgreSQL connection budget per process (<c>TraceReplay:Postgres:MaxConnections</c>), shared by grain storage,
/// the catalog, clustering and reminders, on the all-in-one API.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class ConnectionBudgetTests
{
    [PostgresFact]
    public async Task EightConcurrentIngestClientsAgainstADatabaseLimitedTo40ConnectionsGetNo5xxAndStoreEveryTrace()
    {
        // A server with max_connections = 40, emulated by a database that admits 40 connections of a non-superuser
        // role (superusers are exempt from the limit, and the shared test server serves other tests too).
        var db = await LimitedDatabaseAsync(40);
        if (db is null)
        {
            return;
        }

        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db });
        var database = new NpgsqlConnectionStringBuilder(db).Database!;
        using var sampling = new CancellationTokenSource();
        var peak = SamplePeakConnectionsAsync(database, sampling.Token);

        const int clients = 8;
        const int batchesPerClient = 6;
        const int tracesPerBatch = 25;
        var statuses = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            var answered = new List<(HttpStatusCode, string)>();
            for (var b = 0; b < batchesPerClient; b++)
            {
                var events = new List<JsonObject>();
                for (var t = 0; t < tracesPerBatch; t++)
                {
                    var id = Batches.NewTraceId();
                    events.Add(Batches.TraceCreate(id, "budget"));
                    events.Add(Batches.Span(id, "root", "CHAIN"));
                    events.Add(Batches.LlmSpan(id, "llm", $"{id} question", parent: "root"));
                }

                using var response = await host.Client.PostAsJsonAsync("/api/v1/traces", Batches.Of([.. events]));
                answered.Add((response.StatusCode, await response.Content.ReadAsStringAsync()));
            }

            return answered;
        }));
        await sampling.CancelAsync();
        var peakConnections = await peak;

        var all = statuses.SelectMany(s => s).ToList();
        Assert.All(all, s => Assert.True(s.Item1 == HttpStatusCode.Created, $"ingest answered {(int)s.Item1}: {s.Item2}"));
        Assert.Equal(clients * batchesPerClient * tracesPerBatch, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
        Assert.InRange(peakConnections, 1, 20);
    }

    [PostgresFact]
    public async Task AnExhaustedBudgetAnswers503WithRetryAfterInTheErrorShapeAndTheRefusedBatchStoresNothing()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        // Two connections, and a request waits at most five seconds for one of them. Npgsql's Timeout also bounds
        // opening a new connection, which the silo does at start-up: one second failed the start on a loaded machine.
        var budgeted = new NpgsqlConnectionStringBuilder(db) { Timeout = 5 }.ConnectionString;
        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = budgeted,
            ["TraceReplay:Postgres:MaxConnections"] = "2",
        });
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        var traceId = Batches.NewTraceId();
        var batch = Batches.Of(Batches.TraceCreate(traceId, "refused"), Batches.LlmSpan(traceId, "llm", "question"));

        HttpResponseMessage refused;
        await using (var first = await dataSource.OpenConnectionAsync())
        await using (var second = await dataSource.OpenConnectionAsync())
        {
            refused = await host.Client.PostAsJsonAsync("/api/v1/traces", batch);
        }

        using (refused)
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)refused.StatusCode}: {body}");
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
            var error = JsonNode.Parse(body)!["error"]!;
            Assert.Equal(ApiErrors.UnavailableCode, (string?)error["code"]);
            Assert.DoesNotContain("Host=", (string?)error["message"], StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(0L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
        using (var missing = await host.Client.GetAsync($"/api/v1/traces/{traceId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using var retried = await host.Client.PostAsJsonAsync("/api/v1/traces", batch);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(1L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
    }

    /// <summary>A migrated database owned by a fresh non-superuser role that may hold at most <paramref name="limit"/> connections.</summary>
    private static async Task<string?> LimitedDatabaseAsync(int limit)
    {
        var server = Environment.GetEnvironmentVariable(TestPostgres.Variable);
        if (await TestPostgres.CreateDatabaseAsync() is not { } scratch)
        {
            return null;
        }

        var name = "trl_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(TestPostgres.Unpooled(server!)))
        {
            await connection.OpenAsync();
            foreach (var sql in new[] { $"CREATE ROLE {name} LOGIN", $"CREATE DATABASE {name} OWNER {name} CONNECTION LIMIT {limit}" })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        var db = new NpgsqlConnectionStringBuilder(scratch) { Database = name, Username = name }.ConnectionString;
        // Unpooled, so the migration leaves no idle connection of the test's own to count against the service.
        var unpooled = new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString;
        await new TraceReplay.Silo.Postgres.SchemaMigrator(unpooled, Microsoft.Extensions.Logging.Abstractions.NullLogger<TraceReplay.Silo.Postgres.SchemaMigrator>.Instance).MigrateAsync();
        return db;
    }

    /// <summary>
    /// The most client connections to <paramref name="database"/> seen while sampling (a measurement, not a wait). Only
    /// client backends count: pg_stat_activity also lists, under the database's name, the autovacuum worker that
    /// visits it after the ingest's inserts and the parallel workers of a large query — server processes that neither
    /// the process's pool nor the database's connection limit counts (the likely reading of one loaded run's 21 against 20).
    /// </summary>
    private static async Task<long> SamplePeakConnectionsAsync(string database, CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(TestPostgres.Unpooled(Environment.GetEnvironmentVariable(TestPostgres.Variable)!));
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @db AND backend_type = 'client backend'", connection);
        command.Parameters.AddWithValue("db", database);
        var peak = 0L;
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, (long)(await command.ExecuteScalarAsync(CancellationToken.None))!);
            try
            {
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return peak;
    }
}
