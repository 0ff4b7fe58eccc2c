using TraceReplay.Tests.Fixtures;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Operability;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// A batch is stored all or nothing on PostgreSQL: when storing one of its traces fails halfway through the batch,
/// the traces it already stored are taken back, and an existing trace it added spans to keeps only its earlier ones.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class RefusedBatchTests
{
    [PostgresFact]
    public async Task ABatchWhoseStorageFailsHalfwayAnswers503AndLeavesNoneOfItsTracesBehind()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        // The database refuses, as a server out of connections does (SQL state 53300), any grain state whose payload
        // names a "poison-" trace: one trace of the batch fails while the others are stored.
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
        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db });

        var existing = Batches.NewTraceId();
        using (var stored = await host.Client.PostAsJsonAsync("/api/v1/traces",
            Batches.Of(Batches.TraceCreate(existing, "kept"), Batches.Span(existing, "root", "CHAIN"))))
        {
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        }

        var fresh = Enumerable.Range(0, 20).Select(_ => Batches.NewTraceId()).ToList();
        var poison = "poison-" + Guid.NewGuid().ToString("N");
        var events = new List<JsonObject>();
        foreach (var id in fresh.Take(10))
        {
            events.AddRange([Batches.TraceCreate(id, "refused"), Batches.Span(id, "root", "CHAIN"), Batches.LlmSpan(id, "llm", $"{id} question", parent: "root")]);
        }

        events.AddRange([Batches.TraceCreate(poison, "refused"), Batches.Span(poison, "root", "CHAIN"), Batches.Span(existing, "added", "TOOL", new JsonObject { ["parent_span_id"] = "root" })]);
        foreach (var id in fresh.Skip(10))
        {
            events.AddRange([Batches.TraceCreate(id, "refused"), Batches.Span(id, "root", "CHAIN"), Batches.LlmSpan(id, "llm", $"{id} question", parent: "root")]);
        }

        using (var refused = await host.Client.PostAsJsonAsync("/api/v1/traces", Batches.Of([.. events])))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)refused.StatusCode}: {body}");
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
            Assert.Equal(ApiErrors.UnavailableCode, (string?)JsonNode.Parse(body)!["error"]!["code"]);
        }

        foreach (var id in fresh.Append(poison))
        {
            using var missing = await host.Client.GetAsync($"/api/v1/traces/{id}");
            Assert.True(missing.StatusCode == HttpStatusCode.NotFound, $"trace {id} of the refused batch answered {(int)missing.StatusCode}");
        }

        var kept = JsonNode.Parse(await host.Client.GetStringAsync($"/api/v1/traces/{existing}"))!["data"]!;
        Assert.Equal(["root"], kept["spans"]!.AsArray().Select(s => (string)s!["id"]!));
        Assert.Equal(1L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
        Assert.Equal(1, await TestPostgres.ScalarAsync<int>(db, "SELECT span_count FROM trace_catalog"));
        var listed = JsonNode.Parse(await host.Client.GetStringAsync("/api/v1/traces?limit=100"))!["data"]!["traces"]!.AsArray();
        Assert.Equal([existing], listed.Select(t => (string)t!["id"]!));
        // No state of the batch's new traces is left in storage either (a taken-back trace keeps an empty row).
        Assert.Equal(0L, await TestPostgres.ScalarAsync<long>(db,
            "SELECT count(*) FROM orleans_grain_state WHERE payload IS NOT NULL AND position(convert_to('refused', 'UTF8') in payload) > 0"));
    }
}
