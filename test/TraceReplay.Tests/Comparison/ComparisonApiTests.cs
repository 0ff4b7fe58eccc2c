using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Comparison;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class ComparisonApiTests(ApiFixture host)
{
    [Fact]
    public async Task AReplayWithAnotherModelIsComparedSpanBySpanThroughItsLineage()
    {
        var traceId = await IngestAsync("Where is my order 42?");
        var replay = await StartReplayAsync(traceId);
        var replayId = (string)replay["id"]!;
        Assert.Equal("COMPLETED", (string?)(await host.WaitForReplayAsync(replayId))["status"]);

        var comparison = await host.GetDataAsync($"/api/v1/replays/{replayId}/comparison");

        Assert.Equal(traceId, (string?)comparison["a"]!["traceId"]);
        Assert.Equal($"trace_{replayId}", (string?)comparison["b"]!["traceId"]);
        Assert.Equal("LINEAGE", (string?)comparison["alignment"]);
        var spans = comparison["spans"]!.AsArray();
        Assert.Equal(["root", "lookup", "answer"], spans.Select(s => (string?)s!["spanIdA"]));
        Assert.All(spans, s => Assert.NotNull((string?)s!["spanIdB"]));
        Assert.Equal(["SAME", "SAME"], spans.Where(s => (string?)s!["spanIdA"] != "answer").Select(s => (string?)s!["change"]));

        var answer = spans.Single(s => (string?)s!["spanIdA"] == "answer")!;
        Assert.Equal("CHANGED", (string?)answer["change"]);
        Assert.Equal("gpt-4o", (string?)answer["llm"]!["modelA"]);
        Assert.Equal("gpt-4o-mini", (string?)answer["llm"]!["modelB"]);
        Assert.True((bool)answer["llm"]!["modelChanged"]!);
        var segments = answer["output"]!["text"]!["segments"]!.AsArray();
        Assert.Contains(segments, s => (string?)s!["type"] == "DELETED" && ((string?)s["text"])!.Contains("ships today"));
        Assert.Contains(segments, s => (string?)s!["type"] == "INSERTED" && ((string?)s["text"])!.Contains("gpt-4o-mini"));
        Assert.Contains("1 of 1 LLM outputs changed", (string?)comparison["summary"]);
        Assert.Equal("FLAT", (string?)comparison["metrics"]!["spanCount"]!["trend"]);
        Assert.Equal(48m, (decimal)comparison["metrics"]!["totalTokens"]!["a"]!);
    }

    [Fact]
    public async Task ComparingAReplayBeforeItCompletesIsAConflictAndUnknownIdsAreNotFound()
    {
        var marker = $"slow-{Guid.NewGuid():N}";
        host.Llm.Responder = request => request.ToJsonString().Contains(marker) ? new FakeReply(Delay: TimeSpan.FromSeconds(2)) : null;
        try
        {
            var traceId = await IngestAsync(marker);
            var replayId = (string)(await StartReplayAsync(traceId))["id"]!;

            var early = await host.Client.GetAsync($"/api/v1/replays/{replayId}/comparison");

            var message = await ApiFixture.AssertErrorAsync(early, HttpStatusCode.Conflict, "CONFLICT");
            Assert.Contains("COMPLETED", message);
            await host.WaitForReplayAsync(replayId);
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync($"/api/v1/replays/{replayId}/comparison")).StatusCode);
            await ApiFixture.AssertErrorAsync(await host.Client.GetAsync("/api/v1/replays/rpl_nobody/comparison"), HttpStatusCode.NotFound, "NOT_FOUND");
            var missing = await ApiFixture.AssertErrorAsync(
                await host.Client.GetAsync($"/api/v1/traces/{traceId}/compare/no-such-trace"), HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Contains("no-such-trace", missing);
        }
        finally
        {
            host.Llm.Responder = null;
        }
    }

    private async Task<string> IngestAsync(string question)
    {
        var traceId = $"cmp-{Guid.NewGuid():N}";
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        string At(int ms) => start.AddMilliseconds(ms).ToString("O");
        var messages = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question });
        var batch = new JsonObject
        {
            ["batch"] = new JsonArray(
                Event("trace-create", new JsonObject { ["id"] = traceId, ["name"] = "comparison-test" }),
                Event("span-create", new JsonObject
                {
                    ["trace_id"] = traceId, ["id"] = "root", ["name"] = "agent", ["type"] = "AGENT",
                    ["start_time"] = At(0), ["end_time"] = At(2000), ["input"] = question, ["output"] = "done",
                }),
                Event("span-create", new JsonObject
                {
                    ["trace_id"] = traceId, ["id"] = "lookup", ["parent_span_id"] = "root", ["name"] = "lookup_order", ["type"] = "TOOL",
                    ["start_time"] = At(10), ["end_time"] = At(100), ["input"] = new JsonObject { ["order_id"] = "42" },
                    ["output"] = new JsonObject { ["status"] = "shipped", ["days"] = 2 },
                }),
                Event("span-create", new JsonObject
                {
                    ["trace_id"] = traceId, ["id"] = "answer", ["parent_span_id"] = "root", ["name"] = "answer", ["type"] = "LLM",
                    ["start_time"] = At(100), ["end_time"] = At(1900), ["model"] = "gpt-4o",
                    ["input"] = new JsonObject { ["messages"] = messages }, ["output"] = "Your order ships today.",
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 40, ["completion_tokens"] = 8 },
                })),
        };
        var response = await host.PostRawAsync("/api/v1/traces", batch.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return traceId;
    }

    private async Task<JsonNode> StartReplayAsync(string traceId)
    {
        var response = await host.PostAsync($"/api/v1/traces/{traceId}/replays", new { model = "gpt-4o-mini" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await ApiFixture.ReadJsonAsync(response))["data"]!;
    }

    private static JsonObject Event(string type, JsonObject body) =>
        new() { ["id"] = Guid.NewGuid().ToString("N"), ["type"] = type, ["body"] = body };
}
