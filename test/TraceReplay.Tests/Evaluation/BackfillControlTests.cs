using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Sweeps;

namespace TraceReplay.Tests.Evaluation;

/// <summary>
/// A host of its own whose LLM judge never answers while a test wants it (so a backfill stays RUNNING) and whose
/// projects may run two backfills at once.
/// </summary>
public sealed class BackfillControlFixture : ApiFixture
{
    public const int MaxBackfills = 2;

    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["TraceReplay:Limits:MaxBackfillsPerProject"] = MaxBackfills.ToString();
}

[CollectionDefinition(Name)]
public sealed class BackfillControlCollection : ICollectionFixture<BackfillControlFixture>
{
    public const string Name = "backfill-control";
}

/// <summary>Backfills can be cancelled like sweeps, and a project runs only so many at once.</summary>
[Collection(BackfillControlCollection.Name)]
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class BackfillControlTests(BackfillControlFixture fixture) : IAsyncLifetime
{
    public Task InitializeAsync()
    {
        // The judge's call stays open past the test (its attempt timeout is 50 s), so the backfill stays RUNNING.
        fixture.Llm.Delay = TimeSpan.FromMinutes(5);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        fixture.Llm.Reset();
        return Task.CompletedTask;
    }

    private async Task<string> CreateJudgeAsync()
    {
        var response = await fixture.PostAsync("/api/v1/evaluators", new
        {
            name = $"judge-{Guid.NewGuid():N}", type = "LLM_JUDGE", config = new { criteria = "Does it answer?", scale = "pass_fail" },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
    }

    private async Task<JsonNode> StartAsync(string evaluatorId, IEnumerable<string> traceIds)
    {
        var response = await fixture.PostAsync($"/api/v1/evaluators/{evaluatorId}/backfill", new { filter = new { traceIds } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await ApiFixture.ReadJsonAsync(response))["data"]!;
    }

    private Task<JsonNode> WaitUntilScoringAsync(string backfillId) => Eventually.ReturnsAsync(
        () => fixture.GetDataAsync($"/api/v1/backfills/{backfillId}"), b => (int)b["counts"]!["scoring"]! > 0,
        TimeSpan.FromSeconds(30), $"backfill {backfillId} to be scoring");

    private async Task CancelQuietlyAsync(string backfillId) => await fixture.PostAsync($"/api/v1/backfills/{backfillId}/cancel", new { });

    [Fact]
    public async Task CancellingARunningBackfillAsksNoMoreTracesAndASecondCancelIsAConflict()
    {
        // More traces than the backfill's window of 16, so some are still queued when it is cancelled.
        var (_, ids) = await SweepApiTests.IngestTaggedAsync(fixture, 20);
        var evaluator = await CreateJudgeAsync();
        var backfill = (string)(await StartAsync(evaluator, ids))["id"]!;
        await WaitUntilScoringAsync(backfill);

        var response = await fixture.PostAsync($"/api/v1/backfills/{backfill}/cancel", new { });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cancelled = (await ApiFixture.ReadJsonAsync(response))["data"]!;
        Assert.Equal("CANCELLED", (string?)cancelled["status"]);
        Assert.Equal(0, (int)cancelled["counts"]!["queued"]!);
        Assert.True((int)cancelled["counts"]!["skipped"]! >= 20 - 16, cancelled.ToJsonString());
        // What the backfill asked is its own account, not the shared fake's request count: the other test's judge calls
        // are still open there (5 minutes), and they hold the pool's judge turns.
        var counts = cancelled["counts"]!;
        var asked = (int)counts["scoring"]! + (int)counts["scored"]!;
        Assert.Equal(20, asked + (int)counts["skipped"]!);
        Assert.InRange(asked, 1, 16);

        var again = await fixture.PostAsync($"/api/v1/backfills/{backfill}/cancel", new { });
        var message = await ApiFixture.AssertErrorAsync(again, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Contains("CANCELLED", message);
        Assert.Equal("CANCELLED", (string?)(await fixture.GetDataAsync($"/api/v1/backfills/{backfill}"))["status"]);
        await ApiFixture.AssertErrorAsync(
            await fixture.PostAsync("/api/v1/backfills/bkf_missing/cancel", new { }), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task AProjectRunsOnlyItsLimitOfBackfillsAndACancelledOneFreesItsSlot()
    {
        var (_, ids) = await SweepApiTests.IngestTaggedAsync(fixture, BackfillControlFixture.MaxBackfills + 1);
        var evaluator = await CreateJudgeAsync();
        var running = new List<string>();
        try
        {
            for (var i = 0; i < BackfillControlFixture.MaxBackfills; i++)
            {
                running.Add((string)(await StartAsync(evaluator, [ids[i]]))["id"]!);
            }

            await WaitUntilScoringAsync(running[^1]);
            var refused = await fixture.PostAsync($"/api/v1/evaluators/{evaluator}/backfill", new { filter = new { traceIds = new[] { ids[^1] } } });
            var message = await ApiFixture.AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "LIMIT_EXCEEDED");
            Assert.Contains("MaxBackfillsPerProject", message);

            Assert.Equal(HttpStatusCode.OK, (await fixture.PostAsync($"/api/v1/backfills/{running[0]}/cancel", new { })).StatusCode);
            running.Add((string)(await StartAsync(evaluator, [ids[^1]]))["id"]!);
        }
        finally
        {
            foreach (var id in running)
            {
                await CancelQuietlyAsync(id);
            }
        }
    }
}
