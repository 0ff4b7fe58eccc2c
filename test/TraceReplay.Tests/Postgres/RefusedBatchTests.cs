using TraceReplay.Tests.Fixtures;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Operability;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// A batch is stored all or nothing on PostgreSQL, through the ingest journal: refused before its journal row commits
/// (nothing stored), or accepted and then stored whole, however applying it fails in between.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class RefusedBatchTests
{
    // Recovery looks often and takes a batch one second after it was journaled, so the tests wait seconds, not minutes.
    private static Dictionary<string, string?> Settings(string db) => new()
    {
        ["ConnectionStrings:Postgres"] = db,
        ["TraceReplay:Ingest:RecoveryAge"] = "00:00:01",
        ["TraceReplay:Ingest:RecoveryInterval"] = "00:00:01",
    };

    [PostgresFact]
    public async Task ABatchWhoseApplyFailsHalfwayIsAcceptedAndEveryTraceIsStoredOnceWhenStorageRecovers()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        // The database refuses, as a server out of connections does (SQL state 53300), any grain state whose payload
        // names a "poison-" trace: after the journal commit, one trace of the batch fails while the others are stored.
        await TestPostgres.ScalarAsync<object?>(db, """
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'refused for the test' USING ERRCODE = '53300';
            END $$
            """);
        await TestPostgres.ScalarAsync<object?>(db, """
            CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON orleans_grain_state FOR EACH ROW
                WHEN (position(convert_to('poison-', 'UTF8') in NEW.payload) > 0) EXECUTE FUNCTION refuse_poison()
            """);
        await using var host = await OperabilityHost.StartAsync(Settings(db));

        var existing = Batches.NewTraceId();
        using (var stored = await host.Client.PostAsJsonAsync("/api/v1/traces",
            Batches.Of(Batches.TraceCreate(existing, "kept"), Batches.Span(existing, "root", "CHAIN"))))
        {
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        }

        var fresh = Enumerable.Range(0, 20).Select(_ => Batches.NewTraceId()).ToList();
        var poison = "poison-" + Guid.NewGuid().ToString("N");
        var events = new List<JsonObject>();
        foreach (var id in fresh)
        {
            events.AddRange([Batches.TraceCreate(id, "accepted"), Batches.Span(id, "root", "CHAIN"), Batches.LlmSpan(id, "llm", $"{id} question", parent: "root")]);
        }

        events.AddRange([Batches.TraceCreate(poison, "accepted"), Batches.Span(poison, "root", "CHAIN"), Batches.Span(existing, "added", "TOOL", new JsonObject { ["parent_span_id"] = "root" })]);
        using (var accepted = await host.Client.PostAsJsonAsync("/api/v1/traces", Batches.Of([.. events])))
        {
            Assert.True(accepted.StatusCode == HttpStatusCode.Created, $"answered {(int)accepted.StatusCode}: {await accepted.Content.ReadAsStringAsync()}");
        }

        // The batch waits in the journal while its poison trace cannot be stored; the rest of it is.
        Assert.Equal(1L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM ingest_journal"));
        foreach (var id in fresh)
        {
            using var found = await host.Client.GetAsync($"/api/v1/traces/{id}");
            Assert.True(found.StatusCode == HttpStatusCode.OK, $"trace {id} answered {(int)found.StatusCode}");
        }

        await TestPostgres.ScalarAsync<object?>(db, "DROP TRIGGER refuse_poison ON orleans_grain_state");
        await Eventually.ReturnsAsync(() => TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM ingest_journal"),
            rows => rows == 0, TimeSpan.FromSeconds(30), "ingest recovery to apply the journaled batch");

        var poisoned = JsonNode.Parse(await host.Client.GetStringAsync($"/api/v1/traces/{poison}"))!["data"]!;
        Assert.Equal(["root"], poisoned["spans"]!.AsArray().Select(s => (string)s!["id"]!));
        var kept = JsonNode.Parse(await host.Client.GetStringAsync($"/api/v1/traces/{existing}"))!["data"]!;
        Assert.Equal(["root", "added"], kept["spans"]!.AsArray().Select(s => (string)s!["id"]!));
        Assert.Equal(22L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
        Assert.Equal(2, await TestPostgres.ScalarAsync<int>(db, $"SELECT span_count FROM trace_catalog WHERE trace_id = '{existing}'"));
        Assert.Equal(21L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog WHERE name = 'accepted'"));
    }

    [PostgresFact]
    public async Task ABatchTheJournalRefusesAnswers503AndStoresNothing()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var host = await OperabilityHost.StartAsync(Settings(db));
        var existing = Batches.NewTraceId();
        using (var stored = await host.Client.PostAsJsonAsync("/api/v1/traces",
            Batches.Of(Batches.TraceCreate(existing, "kept"), Batches.Span(existing, "root", "CHAIN"))))
        {
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        }

        await TestPostgres.ScalarAsync<object?>(db, """
            CREATE FUNCTION refuse_batch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'refused for the test' USING ERRCODE = '53300';
            END $$
            """);
        await TestPostgres.ScalarAsync<object?>(db,
            "CREATE TRIGGER refuse_batch BEFORE INSERT ON ingest_journal FOR EACH ROW EXECUTE FUNCTION refuse_batch()");

        var fresh = Enumerable.Range(0, 10).Select(_ => Batches.NewTraceId()).ToList();
        JsonObject Batch() => Batches.Of([.. fresh.SelectMany(id => new[] { Batches.TraceCreate(id, "refused"), Batches.Span(id, "root", "CHAIN") }),
            Batches.Span(existing, "added", "TOOL", new JsonObject { ["parent_span_id"] = "root" })]);
        using (var refused = await host.Client.PostAsJsonAsync("/api/v1/traces", Batch()))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)refused.StatusCode}: {body}");
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
            Assert.Equal(ApiErrors.UnavailableCode, (string?)JsonNode.Parse(body)!["error"]!["code"]);
        }

        // No journal row is left for recovery to apply later.
        Assert.Equal(0L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM ingest_journal"));
        foreach (var id in fresh)
        {
            using var missing = await host.Client.GetAsync($"/api/v1/traces/{id}");
            Assert.True(missing.StatusCode == HttpStatusCode.NotFound, $"trace {id} of the refused batch answered {(int)missing.StatusCode}");
        }

        var kept = JsonNode.Parse(await host.Client.GetStringAsync($"/api/v1/traces/{existing}"))!["data"]!;
        Assert.Equal(["root"], kept["spans"]!.AsArray().Select(s => (string)s!["id"]!));
        Assert.Equal(1L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
        Assert.Equal(0L, await TestPostgres.ScalarAsync<long>(db,
            "SELECT count(*) FROM orleans_grain_state WHERE payload IS NOT NULL AND position(convert_to('refused', 'UTF8') in payload) > 0"));

        // The room the refused batch held on the existing trace was given back: the same spans are accepted now.
        await TestPostgres.ScalarAsync<object?>(db, "DROP TRIGGER refuse_batch ON ingest_journal");
        using var again = await host.Client.PostAsJsonAsync("/api/v1/traces", Batch());
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(11L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
    }

    [PostgresFact]
    public async Task ConcurrentBatchesOnTheSameTracesAreEachStoredWholeOrRefusedWhole()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        // Room for two batches' spans per trace: of eight concurrent batches over the same three traces, each either
        // fits whole (its room held from prepare to apply) or is refused whole. Which ones fit is a race: each trace
        // admits the first two to prepare on it, which may be different batches on different traces (then none fits).
        var settings = Settings(db);
        settings["TraceReplay:MaxSpansPerTrace"] = "8";
        await using var host = await OperabilityHost.StartAsync(settings);
        var shared = Enumerable.Range(0, 3).Select(_ => Batches.NewTraceId()).ToList();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async batch =>
        {
            var events = shared.SelectMany(id => Enumerable.Range(0, 4).Select(i => Batches.Span(id, $"b{batch}-s{i}", "TOOL")));
            using var response = await host.Client.PostAsJsonAsync("/api/v1/traces", Batches.Of([.. events]));
            return (Batch: batch, response.StatusCode);
        }));

        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.Created).Select(r => r.Batch).ToList();
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.RequestEntityTooLarge, $"batch {r.Batch} answered {(int)r.StatusCode}"));
        Assert.InRange(accepted.Count, 0, 2);

        var expected = accepted.SelectMany(b => Enumerable.Range(0, 4).Select(i => $"b{b}-s{i}")).ToList();
        if (accepted.Count < 2)
        {
            // The refused batches gave their room back: a batch filling it is accepted.
            var room = Enumerable.Range(0, 4 * (2 - accepted.Count)).Select(i => $"b8-s{i}").ToList();
            using var more = await host.Client.PostAsJsonAsync("/api/v1/traces",
                Batches.Of([.. shared.SelectMany(id => room.Select(span => Batches.Span(id, span, "TOOL")))]));
            Assert.Equal(HttpStatusCode.Created, more.StatusCode);
            expected.AddRange(room);
        }

        foreach (var id in shared)
        {
            var spans = JsonNode.Parse(await host.Client.GetStringAsync($"/api/v1/traces/{id}"))!["data"]!["spans"]!.AsArray()
                .Select(s => (string)s!["id"]!).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected.Order(StringComparer.Ordinal), spans);
            Assert.Equal(8, await TestPostgres.ScalarAsync<int>(db, $"SELECT span_count FROM trace_catalog WHERE trace_id = '{id}'"));
        }

        Assert.Equal(0L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM ingest_journal"));
    }
}
