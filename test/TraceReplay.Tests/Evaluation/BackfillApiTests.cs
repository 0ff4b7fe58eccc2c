using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Sweeps;

namespace TraceReplay.Tests.Evaluation;

/// <summary>Backfills and scoreOriginals on the real host: an evaluator created after the traces scores them.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class BackfillApiTests(ApiFixture fixture)
{
    private async Task<string> CreateEvaluatorAsync()
    {
        var response = await fixture.PostAsync("/api/v1/evaluators", new { name = $"mentions-question-{Guid.NewGuid():N}", type = "CONTAINS", config = new { value = "answer" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
    }

    private async Task<int> ScoresFromAsync(string traceId, string evaluatorId) =>
        ((JsonArray)await fixture.GetDataAsync($"/api/v1/traces/{traceId}/scores")).Count(s => (string)s!["evaluatorId"]! == evaluatorId);

    private Task<JsonNode> WaitForBackfillAsync(string location) => Eventually.ReturnsAsync(
        () => fixture.GetDataAsync(location), b => (string?)b["status"] == "COMPLETED", TimeSpan.FromSeconds(30), $"backfill {location} to complete");

    [Fact]
    public async Task ABackfillScoresTracesThatExistedBeforeTheEvaluatorAndASecondOneAddsNothing()
    {
        var (tag, ids) = await SweepApiTests.IngestTaggedAsync(fixture, 5);
        var evaluator = await CreateEvaluatorAsync();
        try
        {
            Assert.Equal(0, await ScoresFromAsync(ids[0], evaluator));

            var response = await fixture.PostAsync($"/api/v1/evaluators/{evaluator}/backfill", new { filter = new { tags = new[] { tag } } });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var location = response.Headers.Location!.ToString();
            var started = (await ApiFixture.ReadJsonAsync(response))["data"]!;
            Assert.Equal(5, (int)started["counts"]!["total"]!);

            var done = await WaitForBackfillAsync(location);
            Assert.Equal(5, (int)done["counts"]!["scored"]!);
            Assert.Equal(0, (int)done["counts"]!["skipped"]!);
            foreach (var id in ids)
            {
                Assert.Equal(1, await ScoresFromAsync(id, evaluator));
            }

            var again = await fixture.PostAsync($"/api/v1/evaluators/{evaluator}/backfill", new { filter = new { traceIds = ids } });
            var second = await WaitForBackfillAsync(again.Headers.Location!.ToString());
            Assert.Equal(5, (int)second["counts"]!["scored"]!);
            Assert.Equal(1, await ScoresFromAsync(ids[0], evaluator));
        }
        finally
        {
            await fixture.Client.DeleteAsync($"/api/v1/evaluators/{evaluator}");
        }
    }

    [Fact]
    public async Task ABackfillOfMoreThanOnePageOfTracesScoresEveryOneAndItsHeadHoldsNoTraceIds()
    {
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ids.AddRange((await SweepApiTests.IngestTaggedAsync(fixture, 100)).Ids);
        }

        var evaluator = await CreateEvaluatorAsync();
        try
        {
            var response = await fixture.PostAsync($"/api/v1/evaluators/{evaluator}/backfill", new { filter = new { traceIds = ids } });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var location = response.Headers.Location!.ToString();
            Assert.Equal(ids.Count, (int)(await ApiFixture.ReadJsonAsync(response))["data"]!["counts"]!["total"]!);

            var done = await Eventually.ReturnsAsync(() => fixture.GetDataAsync(location), b => (string?)b["status"] == "COMPLETED",
                TimeSpan.FromSeconds(180), $"backfill {location} to complete");
            Assert.Equal(ids.Count, (int)done["counts"]!["scored"]!);
            Assert.Equal(0, (int)done["counts"]!["queued"]!);
            Assert.Equal(1, await ScoresFromAsync(ids[0], evaluator));
            Assert.Equal(1, await ScoresFromAsync(ids[^1], evaluator));

            // What a checkpoint writes: the head, with counts and the cursor, never the trace ids (those are in chunks of 1,000).
            var storage = fixture.Services.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.SweepStorage);
            var head = new GrainState<BackfillState>(new BackfillState());
            await storage.ReadStateAsync("backfill", GrainId.Create("backfill", location.Split('/')[^1]), head);
            var stored = Assert.IsType<BackfillState>(head.State);
            Assert.Equal(ids.Count, stored.Total);
            Assert.Equal(ids.Count, stored.Cursor);
            Assert.Empty(stored.Entries);
            Assert.Empty(stored.Scoring);
            Assert.Empty(stored.Definition!.TraceIds);
        }
        finally
        {
            await fixture.Client.DeleteAsync($"/api/v1/evaluators/{evaluator}");
        }
    }

    [Fact]
    public async Task ABackfillOfAnUnknownEvaluatorOrWithABadFilterIsRefusedAndStartsNothing()
    {
        await ApiFixture.AssertErrorAsync(
            await fixture.PostAsync("/api/v1/evaluators/ev_missing/backfill", new { }), HttpStatusCode.NotFound, "NOT_FOUND");
        var evaluator = await CreateEvaluatorAsync();
        try
        {
            var message = await ApiFixture.AssertErrorAsync(
                await fixture.PostRawAsync($"/api/v1/evaluators/{evaluator}/backfill", """{"filter":{"limit":0}}"""), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Contains("filter.limit", message);
            message = await ApiFixture.AssertErrorAsync(
                await fixture.PostRawAsync($"/api/v1/evaluators/{evaluator}/backfill", """{"filter":{"limit":100001}}"""), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Contains("filter.limit", message);
            message = await ApiFixture.AssertErrorAsync(
                await fixture.PostRawAsync($"/api/v1/evaluators/{evaluator}/backfill", """{"fliter":{}}"""), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Contains("fliter", message);
            await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync("/api/v1/backfills/bkf_missing"), HttpStatusCode.NotFound, "NOT_FOUND");
        }
        finally
        {
            await fixture.Client.DeleteAsync($"/api/v1/evaluators/{evaluator}");
        }
    }

    [Fact]
    public async Task ASweepWithScoreOriginalsScoresItsOriginalsWithAnEvaluatorCreatedAfterThem()
    {
        var (_, ids) = await SweepApiTests.IngestTaggedAsync(fixture, 3);
        var evaluator = await CreateEvaluatorAsync();
        try
        {
            var response = await fixture.PostAsync("/api/v1/sweeps", new { filter = new { traceIds = ids }, overrides = new { model = "gpt-4o-mini" }, scoreOriginals = true });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

            foreach (var id in ids)
            {
                await Eventually.ReturnsAsync(() => ScoresFromAsync(id, evaluator), n => n == 1, TimeSpan.FromSeconds(30), $"original {id} to be scored");
            }
        }
        finally
        {
            await fixture.Client.DeleteAsync($"/api/v1/evaluators/{evaluator}");
        }
    }
}
