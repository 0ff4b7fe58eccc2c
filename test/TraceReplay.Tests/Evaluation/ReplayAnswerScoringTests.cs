using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Evaluation.EvaluationTestData;

namespace TraceReplay.Tests.Evaluation;

/// <summary>
/// A replay of an agent whose root records <c>{"answer": …}</c> is scored on the new model's answer, not on the copied
/// original: the replay runs on the real host against the fake provider; LEVENSHTEIN runs in the pipeline, WEBHOOK
/// against a real HTTP server on 127.0.0.1 (the shared host refuses loopback webhooks, so it runs through the runner).
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class ReplayAnswerScoringTests(ApiFixture fixture, WebhookServer webhook) : IClassFixture<WebhookServer>
{
    private const string Answer = "Your order 42 is on its way.";

    [Fact]
    public async Task LevenshteinToTheOriginalAndAWebhookBothSeeTheReplayedAnswerOfAnAnswerObject()
    {
        fixture.Llm.Reset();
        var rootOutput = new JsonObject { ["answer"] = Answer, ["steps"] = 3 }.ToJsonString();
        var created = await fixture.PostAsync("/api/v1/evaluators", new
        {
            name = "levenshtein-" + Guid.NewGuid().ToString("N"),
            type = "LEVENSHTEIN",
            config = new { expected = rootOutput, threshold = 0.9 },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var levenshtein = (string)(await ApiFixture.ReadJsonAsync(created))["data"]!["id"]!;
        try
        {
            var traceId = "t-" + Guid.NewGuid().ToString("N");
            var ingest = SampleTraces.Agent();
            var spans = ingest.Spans.Select(s => s.Id == "root" ? s with { OutputJson = rootOutput } : s).ToList();
            await fixture.Services.GetRequiredService<IClusterClient>().GetGrain<ITraceGrain>(traceId).IngestAsync(ingest with { Spans = spans });
            var originalScore = await ScoreOfAsync(traceId, levenshtein);
            Assert.Equal(1.0, (double)originalScore["score"]!);

            var started = await fixture.PostAsync($"/api/v1/traces/{traceId}/replays", new { model = "gpt-4o-mini" });
            var replay = await fixture.WaitForReplayAsync((string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!);
            Assert.Equal("COMPLETED", (string?)replay["status"]);
            var replayTraceId = (string)replay["replayTraceId"]!;

            var replayScore = await ScoreOfAsync(replayTraceId, levenshtein);
            Assert.InRange((double)replayScore["score"]!, 0, 0.9);
            var replayTrace = await fixture.GetDataAsync($"/api/v1/traces/{replayTraceId}");
            var root = replayTrace["spans"]!.AsArray().Single(s => (string?)s!["parentSpanId"] is null)!;
            Assert.StartsWith("fake answer from gpt-4o-mini", (string)root["output"]!["answer"]!);
            Assert.Equal(3, (int)root["output"]!["steps"]!);
            Assert.True((bool)root["outputReplayed"]!);

            var data = await fixture.Services.GetRequiredService<IClusterClient>().GetGrain<ITraceGrain>(replayTraceId).GetAsync();
            var score = await ScoreAsync("WEBHOOK", $$"""{"url":"{{webhook.Url}}","timeoutMs":2000,"retries":0}""", data!, expected: Answer);
            Assert.Null(score.Error);
            var (body, _) = Assert.Single(webhook.Received);
            Assert.Contains("fake answer from gpt-4o-mini", (string)body["output"]!);
            Assert.DoesNotContain(Answer, (string)body["output"]!);
        }
        finally
        {
            await fixture.Client.DeleteAsync($"/api/v1/evaluators/{levenshtein}");
        }
    }

    private async Task<JsonNode> ScoreOfAsync(string traceId, string evaluatorId)
    {
        await Eventually.ReturnsAsync(
            () => fixture.GetDataAsync($"/api/v1/traces/{traceId}"),
            t => (string?)t["evaluations"]?["status"] == "DONE",
            TimeSpan.FromSeconds(30),
            $"trace {traceId} to be scored");
        var scores = (JsonArray)await fixture.GetDataAsync($"/api/v1/traces/{traceId}/scores");
        return scores.Single(s => (string)s!["evaluatorId"]! == evaluatorId)!;
    }
}
