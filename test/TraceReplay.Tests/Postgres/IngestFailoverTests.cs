using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fixtures;
using Xunit.Abstractions;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// A silo killed while batches are being applied: two silo processes and the API in the Client role on PostgreSQL, eight
/// clients posting batches, one silo SIGKILLed mid-stream. Every batch answered 201 ends stored whole (the journal
/// re-applies what the dead silo's traces had not stored), every batch refused stores nothing, and one whose answer
/// the client gave up on is whole or absent.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class IngestFailoverTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private const int BatchesPerClient = 10;
    private const int TracesPerBatch = 20;
    private const int SpansPerTrace = 3;

    [PostgresFact]
    public async Task BatchesInFlightWhenASiloIsKilledAreStoredWholeWhenAcceptedAndNotAtAllWhenRefused()
    {
        var settings = new Dictionary<string, string?>(SiloFailoverTests.FastRecovery)
        {
            ["TraceReplay:Ingest:RecoveryAge"] = "00:00:01",
            ["TraceReplay:Ingest:RecoveryInterval"] = "00:00:01",
        };
        await using var cluster = await ClusterProcesses.CreateAsync(settings);
        if (cluster is null)
        {
            return;
        }

        var victim = cluster.StartSilo();
        var survivor = cluster.StartSilo();
        await SiloFailoverTests.WaitForActiveSilosAsync(cluster.Db, cluster.ClusterId, 2, victim, survivor);
        cluster.StartApi();
        await Eventually.ReturnsAsync(() => cluster.StatusAsync("/health/ready"), s => s == HttpStatusCode.OK,
            TimeSpan.FromSeconds(120), "the API to reach the cluster");

        var answers = new ConcurrentDictionary<string, HttpStatusCode?>();
        var accepted = 0;
        using var killAfter = new SemaphoreSlim(0);
        var posting = Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            for (var b = 0; b < BatchesPerClient; b++)
            {
                var name = $"c{client}-b{b}";
                var events = new List<JsonObject>();
                for (var t = 0; t < TracesPerBatch; t++)
                {
                    var id = Batches.NewTraceId();
                    events.Add(Batches.TraceCreate(id, name));
                    events.AddRange(Enumerable.Range(0, SpansPerTrace).Select(s => Batches.Span(id, $"s{s}", "TOOL")));
                }

                try
                {
                    using var response = await cluster.Http.PostAsJsonAsync("/api/v1/traces", Batches.Of([.. events]));
                    answers[name] = response.StatusCode;
                    if (response.StatusCode == HttpStatusCode.Created && Interlocked.Increment(ref accepted) == Clients * 2)
                    {
                        killAfter.Release();
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // No answer (the client's timeout): the batch may or may not have been accepted.
                    answers[name] = null;
                }
            }
        }));

        Assert.True(await killAfter.WaitAsync(TimeSpan.FromSeconds(120)), "batches were not being accepted");
        victim.Kill();
        await posting;
        var leftInJournal = await TestPostgres.ScalarAsync<long>(cluster.Db, "SELECT count(*) FROM ingest_journal");

        await Eventually.ReturnsAsync(() => TestPostgres.ScalarAsync<long>(cluster.Db, "SELECT count(*) FROM ingest_journal"),
            rows => rows == 0, TimeSpan.FromSeconds(120), "ingest recovery to apply every journaled batch");
        var stored = await StoredAsync(cluster.Db);
        var created = answers.Where(a => a.Value == HttpStatusCode.Created).Select(a => a.Key).ToList();
        var refused = answers.Where(a => a.Value is { } status && status != HttpStatusCode.Created).ToList();
        output.WriteLine($"{created.Count} batches accepted, {refused.Count} refused, {answers.Count(a => a.Value is null)} unanswered; " +
            $"{leftInJournal} left in the journal when the clients stopped");
        Assert.True(created.Count >= Clients * 2, $"only {created.Count} batches accepted");
        foreach (var name in created)
        {
            Assert.True(stored.TryGetValue(name, out var rows) && rows == (TracesPerBatch, TracesPerBatch * SpansPerTrace),
                $"accepted batch {name} stored {(stored.TryGetValue(name, out var r) ? r : default)}");
        }

        // A batch whose answer never came (the client gave up while a call waited on the dead silo) is whole or absent.
        foreach (var name in answers.Where(a => a.Value is null).Select(a => a.Key))
        {
            Assert.True(!stored.TryGetValue(name, out var rows) || rows == (TracesPerBatch, TracesPerBatch * SpansPerTrace),
                $"unanswered batch {name} stored partly: {rows}");
        }

        foreach (var (name, status) in refused)
        {
            Assert.True((int)status! >= 500 && !stored.ContainsKey(name), $"refused batch {name} ({(int)status!}) left traces behind");
        }
    }

    /// <summary>Per batch (the traces' name): catalog rows and spans in them.</summary>
    private static async Task<Dictionary<string, (long Traces, long Spans)>> StoredAsync(string db)
    {
        await using var connection = new Npgsql.NpgsqlConnection(TestPostgres.Unpooled(db));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT name, count(*), sum(span_count) FROM trace_catalog GROUP BY name", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var stored = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            stored[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return stored;
    }
}
