using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>The sweep endpoints on the real host.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class SweepApiTests(ApiFixture fixture)
{
    /// <summary>Ingests traces tagged with a fresh tag, each with one LLM span (100 prompt, 20 completion tokens); returns the tag and ids.</summary>
    internal static async Task<(string Tag, List<string> Ids)> IngestTaggedAsync(ApiFixture fixture, int count, params string[] names)
    {
        var tag = "sweep-" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        var events = new List<JsonObject>();
        for (var i = 0; i < count; i++)
        {
            var id = Batches.NewTraceId();
            ids.Add(id);
            events.Add(Batches.TraceCreate(id, names.Length > 0 ? names[i % names.Length] : "sweep-agent", [tag, "production"],
                DateTimeOffset.UtcNow.AddDays(-(i % 3)).AddMinutes(-10)));
            events.Add(Batches.LlmSpan(id, "llm", $"question {i}"));
        }

        var response = await fixture.PostAsync("/api/v1/traces", Batches.Of([.. events]));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (tag, ids);
    }

    private Task<JsonNode> WaitForSweepAsync(string id) =>
        Eventually.ReturnsAsync(
            () => fixture.GetDataAsync($"/api/v1/sweeps/{id}"),
            s => s["completedAt"] is not null,
            TimeSpan.FromSeconds(60),
            $"sweep {id} to end");

    [Fact]
    public async Task ASweepStartsWith202RunsToCompletionAndReportsItsResultsAsJsonAndCsv()
    {
        var (tag, ids) = await IngestTaggedAsync(fixture, 6, "agent-a", "agent-b");
        var grains = fixture.Services.GetRequiredService<IClusterClient>();
        foreach (var traceId in ids)
        {
            await grains.GetGrain<ITraceGrain>(traceId).AddScoreAsync(new TraceScore("helpfulness", "Helpfulness", "LLM_JUDGE", 0.8, null, null, 1, DateTimeOffset.UtcNow));
        }

        var response = await fixture.PostAsync("/api/v1/sweeps", new
        {
            name = "mini",
            filter = new { tags = new[] { tag } },
            overrides = new { model = "gpt-4o-mini" },
            maxInFlight = 2,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = (await ApiFixture.ReadJsonAsync(response))["data"]!;
        Assert.Equal("PENDING", (string?)started["status"]);
        Assert.Equal(6, (int)started["counts"]!["total"]!);
        var id = (string)started["id"]!;

        var sweep = await WaitForSweepAsync(id);
        var entries = await grains.GetGrain<ISweepGrain>(id).GetEntriesAsync();
        foreach (var entry in entries!)
        {
            await grains.GetGrain<ITraceGrain>(entry.ReplayTraceId!).AddScoreAsync(
                new TraceScore("helpfulness", "Helpfulness", "LLM_JUDGE", 0.6, null, null, 1, DateTimeOffset.UtcNow));
        }

        var results = await fixture.GetDataAsync($"/api/v1/sweeps/{id}/results");
        var csv = await (await fixture.Client.GetAsync($"/api/v1/sweeps/{id}/results?format=csv")).Content.ReadAsStringAsync();
        var listed = await fixture.GetDataAsync("/api/v1/sweeps");

        Assert.Equal("COMPLETED", (string?)sweep["status"]);
        Assert.Equal(6, (int)sweep["counts"]!["completed"]!);
        Assert.Equal(2, (int)sweep["maxInFlight"]!);
        var helpfulness = results["evaluators"]!.AsArray().Single()!;
        Assert.Equal(6, (int)helpfulness["pairs"]!);
        Assert.Equal(-0.2, (double)helpfulness["meanDifference"]!, 9);
        Assert.Equal("REGRESSED", (string?)helpfulness["verdict"]);
        Assert.True((bool)results["significantRegression"]!);
        Assert.Equal(6, results["regressedTraces"]!.AsArray().Count);
        Assert.Equal(["agent-a", "agent-b"], results["cohorts"]!.AsArray().Select(c => (string)c!["traceName"]!));
        Assert.True((decimal)results["cost"]!["replayTotal"]! < (decimal)results["cost"]!["originalTotal"]!);
        Assert.NotNull(results["latency"]!["replayP95Ms"]);
        var lines = csv.TrimEnd().Split('\n');
        Assert.Equal(7, lines.Length);
        Assert.StartsWith("trace_id,trace_name,status,replay_id", lines[0]);
        Assert.EndsWith("Helpfulness_original,Helpfulness_replay,Helpfulness_delta", lines[0].TrimEnd('\r'));
        Assert.Contains(listed.AsArray(), s => (string?)s!["id"] == id);
    }

    [Fact]
    public async Task CsvResultsEscapeTextThatASpreadsheetWouldRunAndKeepNegativeNumbersAsNumbers()
    {
        const string formula = "=HYPERLINK(\"http://evil.example\",\"x\")";
        var (tag, ids) = await IngestTaggedAsync(fixture, 1, formula);
        var grains = fixture.Services.GetRequiredService<IClusterClient>();
        await grains.GetGrain<ITraceGrain>(ids[0]).AddScoreAsync(new TraceScore("helpfulness", "Helpfulness", "LLM_JUDGE", 0.8, null, null, 1, DateTimeOffset.UtcNow));
        var response = await fixture.PostAsync("/api/v1/sweeps", new { name = "csv", filter = new { tags = new[] { tag } }, overrides = new { model = "gpt-4o-mini" } });
        var id = (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
        await WaitForSweepAsync(id);
        var entry = Assert.Single((await grains.GetGrain<ISweepGrain>(id).GetEntriesAsync())!);
        await grains.GetGrain<ITraceGrain>(entry.ReplayTraceId!).AddScoreAsync(
            new TraceScore("helpfulness", "Helpfulness", "LLM_JUDGE", 0.6, null, null, 1, DateTimeOffset.UtcNow));

        var csv = await (await fixture.Client.GetAsync($"/api/v1/sweeps/{id}/results?format=csv")).Content.ReadAsStringAsync();

        var row = csv.TrimEnd().Split('\n')[1].TrimEnd('\r');
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"", row);
        Assert.DoesNotContain(",=", row);
        var delta = row[(row.LastIndexOf(',') + 1)..];
        Assert.StartsWith("-0.2", delta);
        Assert.Equal(-0.2, double.Parse(delta, System.Globalization.CultureInfo.InvariantCulture), 9);
    }

    [Theory]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1", "'+1")]
    [InlineData("-cmd", "'-cmd")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\rx", "'\rx")]
    [InlineData("plain", "plain")]
    [InlineData("a=b", "a=b")]
    public void ACsvTextFieldThatStartsAFormulaGetsALeadingApostrophe(string value, string written) =>
        Assert.Equal(written, TraceReplay.Api.Apis.SweepCsv.Text(value));

    [Fact]
    public async Task TheEstimatePricesTheRecordedTokensAtTheTargetModelAndSaysWhenAPriceIsUnknown()
    {
        var (tag, _) = await IngestTaggedAsync(fixture, 4);

        var priced = await fixture.PostAsync("/api/v1/sweeps/estimate", new { filter = new { tags = new[] { tag } }, overrides = new { model = "gpt-4o-mini" }, budgetUsd = 0.0001 });
        var unpriced = await fixture.PostAsync("/api/v1/sweeps/estimate", new { filter = new { tags = new[] { tag } }, overrides = new { model = "unpriced-model" } });

        var estimate = (await ApiFixture.ReadJsonAsync(priced))["data"]!;
        Assert.Equal((4, 4, 400L, 80L), ((int)estimate["traces"]!, (int)estimate["llmCalls"]!, (long)estimate["promptTokens"]!, (long)estimate["completionTokens"]!));
        Assert.Equal(4 * (100 * 0.15m + 20 * 0.6m) / 1_000_000m, (decimal)estimate["estimatedCostUsd"]!);
        Assert.False((bool)estimate["withinBudget"]!);
        var unknown = (await ApiFixture.ReadJsonAsync(unpriced))["data"]!;
        Assert.Null(unknown["estimatedCostUsd"]);
        Assert.Equal(["unpriced-model"], unknown["unpricedModels"]!.AsArray().Select(m => (string)m!));
        Assert.Contains("unknown", (string)unknown["message"]!);
        Assert.DoesNotContain(fixture.Llm.Requests, r => (string?)r.Body["model"] == "unpriced-model");
    }

    [Theory]
    [InlineData("""{"overrides": {"model": "gpt-4o-mini"}}""", "filter is required")]
    [InlineData("""{"filter": {"tags": ["x"]}, "maxInFlight": 0}""", "maxInFlight")]
    [InlineData("""{"filter": {"tags": ["x"]}, "budgetUsd": -1}""", "budgetUsd")]
    [InlineData("""{"filter": {"tags": ["x"]}, "regressionThreshold": 2}""", "regressionThreshold")]
    [InlineData("""{"filter": {"limit": 0}}""", "filter.limit")]
    [InlineData("""{"filter": {"limit": 100001}}""", "filter.limit")]
    [InlineData("""{"filter": {"status": "MAYBE"}}""", "filter.status")]
    [InlineData("""{"filter": {"traceIds": ["a"], "tags": ["x"]}}""", "filter.traceIds")]
    [InlineData("""{"filter": {"traceIds": ["no-such-trace-anywhere"]}}""", "filter.traceIds")]
    [InlineData("""{"filter": {"tags": ["x"]}, "overrides": {"model": "no-such-model"}}""", "overrides.model")]
    [InlineData("""{"filter": {"tags": ["x"]}, "overrides": {"temperature": 0}}""", "overrides")]
    [InlineData("""{"filter": {"tags": ["no-trace-has-this-tag"]}}""", "filter matched no traces")]
    [InlineData("""{"filter": {"tags": ["x"]}, "baselineSweepId": "swp_missing"}""", "baselineSweepId")]
    [InlineData("""{"filter": {"tags": ["x"]}, "speed": "fast"}""", "speed")]
    public async Task AnInvalidSweepIsRefusedWithAMessageNamingTheField(string body, string field)
    {
        var message = await ApiFixture.AssertErrorAsync(await fixture.PostRawAsync("/api/v1/sweeps", body), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        Assert.Contains(field, message);
    }

    [Fact]
    public async Task UnknownSweepsAre404AndResultsRefuseAnUnknownFormat()
    {
        await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync("/api/v1/sweeps/swp_nope"), HttpStatusCode.NotFound, "NOT_FOUND");
        await ApiFixture.AssertErrorAsync(await fixture.Client.PostAsync("/api/v1/sweeps/swp_nope/cancel", null), HttpStatusCode.NotFound, "NOT_FOUND");
        await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync("/api/v1/sweeps/swp_nope/results"), HttpStatusCode.NotFound, "NOT_FOUND");
        var message = await ApiFixture.AssertErrorAsync(
            await fixture.Client.GetAsync("/api/v1/sweeps/swp_nope/results?format=xml"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("format", message);
    }
}
