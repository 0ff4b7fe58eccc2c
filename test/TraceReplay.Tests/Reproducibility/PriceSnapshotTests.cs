using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Reproducibility;

/// <summary>Issue 23: replays and sweeps keep the prices they were charged at; repricing is asked for and labelled.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ReproducibilityCollection.Name)]
public sealed class PriceSnapshotTests(ReproducibilityFixture fixture)
{
    private async Task<string> IngestAsync(string model, string tag)
    {
        var id = Batches.NewTraceId();
        var created = await fixture.PostAsync("/api/v1/traces", Batches.Of(
            Batches.TraceCreate(id, "pricing-" + tag, [tag]),
            Batches.LlmSpan(id, "llm", "what does a price snapshot keep? " + tag, model)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return id;
    }

    private async Task<JsonNode> ReplayAsync(string traceId, string model)
    {
        var started = await fixture.PostAsync($"/api/v1/traces/{traceId}/replays", new { model });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var replay = await fixture.WaitForReplayAsync((string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!);
        Assert.Equal("COMPLETED", (string?)replay["status"]);
        return replay;
    }

    /// <summary>The cost of the replay trace's LLM calls at the given price per million tokens.</summary>
    private async Task<decimal> CostAtAsync(string traceId, decimal input, decimal output)
    {
        var trace = await fixture.GetDataAsync($"/api/v1/traces/{traceId}");
        return ((long)trace["promptTokens"]! * input + (long)trace["completionTokens"]! * output) / 1_000_000m;
    }

    [Fact]
    public async Task APriceChangeBetweenTwoReplaysOfTheSameTraceGivesEachItsOwnCost()
    {
        const string model = "gpt-4.1-mini"; // shipped: $0.40 in, $1.60 out per 1M tokens
        var traceId = await IngestAsync(model, Guid.NewGuid().ToString("N")[..8]);

        var first = await ReplayAsync(traceId, model);
        var changedAt = await fixture.ChangePriceAsync(model, 100m, 200m);
        var second = await ReplayAsync(traceId, model);

        var firstCost = (decimal)first["result"]!["totalCost"]!;
        Assert.Equal(await CostAtAsync((string)first["replayTraceId"]!, 0.4m, 1.6m), firstCost);
        Assert.Equal(await CostAtAsync((string)second["replayTraceId"]!, 100m, 200m), (decimal)second["result"]!["totalCost"]!);
        var firstPrice = first["prices"]!.AsArray().Single()!;
        Assert.Equal(("shipped", 0.4m), ((string?)firstPrice["source"], (decimal)firstPrice["inputPerMillion"]!));
        var secondPrice = second["prices"]!.AsArray().Single()!;
        Assert.Equal(("override", 100m), ((string?)secondPrice["source"], (decimal)secondPrice["inputPerMillion"]!));

        // The first replay's stored figure does not move with the table, in its own read or in the trace's history.
        var reread = await fixture.GetDataAsync($"/api/v1/replays/{(string)first["id"]!}");
        Assert.Equal(firstCost, (decimal)reread["result"]!["totalCost"]!);
        var history = await fixture.GetDataAsync($"/api/v1/traces/{traceId}/replays");
        Assert.Equal(firstCost, (decimal)history.AsArray().Single(r => (string?)r!["id"] == (string?)first["id"])!["result"]!["totalCost"]!);

        // The model's price list shows both prices, oldest first, each with its date and source.
        var prices = (await fixture.GetDataAsync($"/api/v1/models/{model}/prices")).AsArray();
        Assert.Equal(["shipped", "override"], prices.Select(p => (string?)p!["source"]));
        Assert.Equal(changedAt, (DateTimeOffset)prices[^1]!["effectiveFrom"]!);
        var listed = (await fixture.GetDataAsync("/api/v1/models")).AsArray().Single(m => (string?)m!["name"] == model)!;
        Assert.Equal(("override", 100m), ((string?)listed["priceSource"], (decimal)listed["inputPricePerMillion"]!));
        await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync("/api/v1/models/no-such-model/prices"), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task ASweepsResultsKeepTheirDollarsAfterAPriceOverrideChanges()
    {
        const string model = "gpt-4o-mini"; // shipped: $0.15 in, $0.60 out per 1M tokens
        var tag = "pricing-" + Guid.NewGuid().ToString("N")[..8];
        await IngestAsync("gpt-4o", tag);
        await IngestAsync("gpt-4o", tag);
        var started = await fixture.PostAsync("/api/v1/sweeps", new { filter = new { tags = new[] { tag } }, overrides = new { model } });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var sweepId = (string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!;
        var sweep = await Eventually.ReturnsAsync(
            () => fixture.GetDataAsync($"/api/v1/sweeps/{sweepId}"), s => s["completedAt"] is not null, TimeSpan.FromSeconds(60), "the sweep to end");
        Assert.Equal("COMPLETED", (string?)sweep["status"]);
        var before = await fixture.GetDataAsync($"/api/v1/sweeps/{sweepId}/results");
        var replayTotal = (decimal)before["cost"]!["replayTotal"]!;
        var replayTraces = before["traces"]!.AsArray().Select(t => (string)t!["replayTraceId"]!).ToList();
        var atShipped = 0m;
        foreach (var replayTrace in replayTraces)
        {
            atShipped += await CostAtAsync(replayTrace, 0.15m, 0.6m);
        }

        Assert.Equal(atShipped, replayTotal);

        await fixture.ChangePriceAsync(model, 100m, 200m);
        var after = await fixture.GetDataAsync($"/api/v1/sweeps/{sweepId}/results");
        var repriced = await fixture.GetDataAsync($"/api/v1/sweeps/{sweepId}/results?repriceAt=now");
        var csv = await (await fixture.Client.GetAsync($"/api/v1/sweeps/{sweepId}/results?format=csv")).Content.ReadAsStringAsync();

        Assert.Equal(replayTotal, (decimal)after["cost"]!["replayTotal"]!);
        Assert.Equal(before["cost"]!.ToJsonString(), after["cost"]!.ToJsonString());
        var pricing = after["pricing"]!;
        Assert.False((bool)pricing["repriced"]!);
        Assert.Equal((DateTimeOffset)sweep["createdAt"]!, (DateTimeOffset)pricing["pricesAsOf"]!);
        var snapshotPrice = pricing["prices"]!.AsArray().Single()!;
        Assert.Equal((model, "shipped", 0.15m), ((string?)snapshotPrice["model"], (string?)snapshotPrice["source"], (decimal)snapshotPrice["inputPerMillion"]!));
        Assert.Equal(pricing.ToJsonString(), sweep["pricing"]!.ToJsonString());

        var atNewPrice = 0m;
        foreach (var replayTrace in replayTraces)
        {
            atNewPrice += await CostAtAsync(replayTrace, 100m, 200m);
        }

        Assert.Equal(atNewPrice, (decimal)repriced["cost"]!["replayTotal"]!);
        Assert.True((bool)repriced["pricing"]!["repriced"]!);
        Assert.Contains("recomputed", (string?)repriced["pricing"]!["note"]);

        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var column = Array.IndexOf(lines[0].Trim().Split(','), "prices_as_of");
        Assert.True(column > 0, lines[0]);
        Assert.All(lines.Skip(1), line => Assert.Equal(((DateTimeOffset)sweep["createdAt"]!).ToString("yyyy-MM-dd"), line.Trim().Split(',')[column]));

        await ApiFixture.AssertErrorAsync(
            await fixture.Client.GetAsync($"/api/v1/sweeps/{sweepId}/results?repriceAt=yesterday"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }
}
