using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Evaluation;

/// <summary>The pipeline on the real host: evaluators via the API, TraceCreated on the stream, scores on the trace.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class EvaluationPipelineTests(ApiFixture fixture)
{
    private IClusterClient Grains => fixture.Services.GetRequiredService<IClusterClient>();

    private async Task<string> CreateEvaluatorAsync(string type, object config)
    {
        var response = await fixture.PostAsync("/api/v1/evaluators", new { name = $"{type.ToLowerInvariant()}-{Guid.NewGuid():N}", type, config });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
    }

    private async Task DeleteAsync(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            await fixture.Client.DeleteAsync($"/api/v1/evaluators/{id}");
        }
    }

    private Task<JsonNode> WaitForScoresAsync(string traceId) => Eventually.ReturnsAsync(
        () => fixture.GetDataAsync($"/api/v1/traces/{traceId}"),
        t => (string?)t["evaluations"]?["status"] == "DONE",
        TimeSpan.FromSeconds(30),
        $"trace {traceId} to be scored");

    private async Task<JsonArray> ScoresAsync(string traceId, IReadOnlyCollection<string> evaluatorIds) =>
        new([.. ((JsonArray)await fixture.GetDataAsync($"/api/v1/traces/{traceId}/scores"))
            .Where(s => evaluatorIds.Contains((string)s!["evaluatorId"]!)).Select(s => s!.DeepClone())]);

    [Fact]
    public async Task AReplayedTraceIsScoredOnTheReplayedAnswerAgainstTheOriginalOutput()
    {
        fixture.Llm.Reset();
        var contains = await CreateEvaluatorAsync("CONTAINS", new { value = "fake answer" });
        var levenshtein = await CreateEvaluatorAsync("LEVENSHTEIN", new { threshold = 0.9 });
        try
        {
            var traceId = "t-" + Guid.NewGuid().ToString("N");
            await Grains.GetGrain<ITraceGrain>(traceId).IngestAsync(SampleTraces.Agent());
            var original = await WaitForScoresAsync(traceId);
            var originalScores = await ScoresAsync(traceId, [contains, levenshtein]);

            var started = await fixture.PostAsync($"/api/v1/traces/{traceId}/replays", new { model = "gpt-4o-mini" });
            var replayId = (string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!;
            var replay = await fixture.WaitForReplayAsync(replayId);
            var replayTraceId = (string)replay["replayTraceId"]!;
            var replayed = await WaitForScoresAsync(replayTraceId);
            var replayScores = await ScoresAsync(replayTraceId, [contains, levenshtein]);

            Assert.Equal(2, (int)original["evaluations"]!["done"]!);
            Assert.Equal(2, (int)original["scoreCount"]!);
            var originalContains = originalScores.Single(s => (string)s!["evaluatorId"]! == contains)!;
            Assert.Equal("fail", (string?)originalContains["label"]);
            var originalDistance = originalScores.Single(s => (string)s!["evaluatorId"]! == levenshtein)!;
            Assert.Null(originalDistance["score"]);
            Assert.Contains("config.expected", (string?)originalDistance["error"]);

            // The replayed answer comes from the fake provider; the original's output is the reference.
            var replayedOutput = (string)replayed["spans"]!.AsArray().Single(s => (string?)s!["parentSpanId"] is null)!["output"]!;
            Assert.StartsWith("fake answer from gpt-4o-mini", replayedOutput);
            Assert.Equal("pass", (string?)replayScores.Single(s => (string)s!["evaluatorId"]! == contains)!["label"]);
            var distance = replayScores.Single(s => (string)s!["evaluatorId"]! == levenshtein)!;
            Assert.Null(distance["error"]);
            Assert.Equal("fail", (string?)distance["label"]);
            Assert.InRange((double)distance["score"]!, 0, 0.9);
            Assert.Equal("EVALUATOR", (string?)distance["source"]);

            var replayView = await fixture.GetDataAsync($"/api/v1/replays/{replayId}");
            Assert.Equal("COMPLETED", (string?)replayView["status"]);
            Assert.Equal("DONE", (string?)replayView["evaluations"]!["status"]);
        }
        finally
        {
            await DeleteAsync([contains, levenshtein]);
        }
    }

    [Fact]
    public async Task ARedeliveredTraceCreatedEventAddsNoSecondScore()
    {
        var evaluator = await CreateEvaluatorAsync("CONTAINS", new { value = "order" });
        try
        {
            var traceId = "t-" + Guid.NewGuid().ToString("N");
            var trace = Grains.GetGrain<ITraceGrain>(traceId);
            await trace.IngestAsync(SampleTraces.Agent());
            await WaitForScoresAsync(traceId);
            var first = Assert.Single(await trace.GetScoresAsync(), s => s.EvaluatorId == evaluator);

            var created = new TraceCreated(traceId, TraceReplayNames.DefaultProject, DateTimeOffset.UtcNow);
            await fixture.Services.GetRequiredService<ITraceEventPublisher>().PublishAsync(created);
            await Grains.GetGrain<IEvaluationGrain>(traceId).StartAsync(created);

            // Nothing is pending any more, so there is no completion to await: give the redelivered event time to be
            // delivered (memory streams poll every 100 ms) and handled.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var again = Assert.Single(await trace.GetScoresAsync(), s => s.EvaluatorId == evaluator);
            Assert.Equal(first.CreatedAt, again.CreatedAt);
        }
        finally
        {
            await DeleteAsync([evaluator]);
        }
    }

    [Fact]
    public async Task EvaluatorsAreCreatedChangedAndDeletedThroughTheApi()
    {
        var id = await CreateEvaluatorAsync("REGEX", new { pattern = "ORD-\\d+" });
        try
        {
            var unchanged = await fixture.Client.PatchAsync($"/api/v1/evaluators/{id}", JsonContent(new { enabled = false }));
            Assert.Equal(1, (int)(await ApiFixture.ReadJsonAsync(unchanged))["data"]!["version"]!);
            var changed = await fixture.Client.PatchAsync($"/api/v1/evaluators/{id}", JsonContent(new { config = new { pattern = "INV-\\d+" } }));
            var body = (await ApiFixture.ReadJsonAsync(changed))["data"]!;
            Assert.Equal(2, (int)body["version"]!);
            Assert.False((bool)body["enabled"]!);
            Assert.Equal("INV-\\d+", (string?)body["config"]!["pattern"]);
            Assert.Contains((JsonArray)await fixture.GetDataAsync("/api/v1/evaluators"), e => (string?)e!["id"] == id);

            var badPatch = await fixture.Client.PatchAsync($"/api/v1/evaluators/{id}", JsonContent(new { config = new { pattern = "(" } }));
            Assert.Contains("config.pattern", await ApiFixture.AssertErrorAsync(badPatch, HttpStatusCode.BadRequest, ApiErrors.ValidationCode));
        }
        finally
        {
            Assert.Equal(HttpStatusCode.NoContent, (await fixture.Client.DeleteAsync($"/api/v1/evaluators/{id}")).StatusCode);
        }

        await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync($"/api/v1/evaluators/{id}"), HttpStatusCode.NotFound, ApiErrors.NotFoundCode);
    }

    [Theory]
    [InlineData("""{"name":"x","type":"CONTAINS","config":{}}""", "config.value")]
    [InlineData("""{"name":"x","type":"WEBHOOK","config":{"url":"https://hooks.example","timeoutMs":40000}}""", "config.timeoutMs")]
    [InlineData("""{"name":"x","type":"MAGIC","config":{}}""", "type must be one of")]
    [InlineData("""{"type":"CONTAINS","config":{"value":"a"}}""", "name is required")]
    [InlineData("""{"name":"x","type":"CONTAINS","config":[1]}""", "config must be a JSON object")]
    [InlineData("""{"name":"x","type":"CONTAINS","config":{"value":"a"},"color":"red"}""", "color is not a known field")]
    public async Task AnInvalidEvaluatorIsRefusedNamingTheField(string body, string field)
    {
        var response = await fixture.PostRawAsync("/api/v1/evaluators", body);

        Assert.Contains(field, await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, ApiErrors.ValidationCode));
    }

    [Fact]
    public async Task ACustomScoreIsRecordedForTheTraceAndReplacedByTheNextOneOfTheSameName()
    {
        var traceId = "t-" + Guid.NewGuid().ToString("N");
        await Grains.GetGrain<ITraceGrain>(traceId).IngestAsync(SampleTraces.Agent());

        var created = await fixture.PostAsync("/api/v1/scores", new { traceId, evaluatorName = "accuracy", value = 0.4, label = "fail" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await fixture.PostAsync("/api/v1/scores", new { traceId, name = "accuracy", score = 0.92, label = "pass", reasoning = "Matches" });
        await fixture.PostAsync("/api/v1/scores", new { traceId, spanId = "answer", evaluatorName = "accuracy", value = 1 });

        var scores = (JsonArray)await fixture.GetDataAsync($"/api/v1/traces/{traceId}/scores");
        var traceLevel = Assert.Single(scores, s => (string?)s!["spanId"] is null && (string?)s!["source"] == "API")!;
        Assert.Equal(0.92, (double)traceLevel["score"]!);
        Assert.Equal("Matches", (string?)traceLevel["reasoning"]);
        Assert.Single(scores, s => (string?)s!["spanId"] == "answer");
    }

    [Fact]
    public async Task ACustomScoreWithReasoningLongerThan4KiBIsRefusedAndNotRecorded()
    {
        var traceId = "t-" + Guid.NewGuid().ToString("N");
        await Grains.GetGrain<ITraceGrain>(traceId).IngestAsync(SampleTraces.Agent());

        var response = await fixture.PostAsync("/api/v1/scores", new { traceId, evaluatorName = "accuracy", value = 0.5, reasoning = new string('r', 4097) });

        Assert.Contains("reasoning", await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, ApiErrors.ValidationCode));
        Assert.DoesNotContain(await Grains.GetGrain<ITraceGrain>(traceId).GetScoresAsync(), s => s.Source == "API");
    }

    [Theory]
    [InlineData("""{"traceId":"demo-support-agent","evaluatorName":"a","value":1.5}""", HttpStatusCode.BadRequest, "value")]
    [InlineData("""{"traceId":"demo-support-agent","value":0.5}""", HttpStatusCode.BadRequest, "evaluatorName is required")]
    [InlineData("""{"traceId":"no-such-trace","evaluatorName":"a","value":0.5}""", HttpStatusCode.NotFound, "no-such-trace")]
    [InlineData("""{"traceId":"demo-support-agent","spanId":"nope","evaluatorName":"a","value":0.5}""", HttpStatusCode.NotFound, "span 'nope'")]
    public async Task AnInvalidCustomScoreIsRefused(string body, HttpStatusCode status, string message)
    {
        var response = await fixture.PostRawAsync("/api/v1/scores", body);

        var code = status == HttpStatusCode.NotFound ? ApiErrors.NotFoundCode : ApiErrors.ValidationCode;
        Assert.Contains(message, await ApiFixture.AssertErrorAsync(response, status, code));
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
