using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Api;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class IngestionApiTests(ApiFixture api)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddHours(-1);

    [Fact]
    public async Task ABatchWithATraceAndItsSpansIsAcceptedAndReadBackWithTotals()
    {
        var id = NewTraceId();
        var batch = Of(
            TraceCreate(id, "checkout-agent", ["ingest", "v1"]),
            Span(id, "root", "AGENT", new JsonObject { ["start_time"] = Time(T0), ["end_time"] = Time(T0.AddMilliseconds(1000)) }),
            LlmSpan(id, "llm", "hello", "gpt-4o", parent: "root", start: T0.AddMilliseconds(100), durationMs: 800, promptTokens: 1000, completionTokens: 500),
            Span(id, "tool", "TOOL", new JsonObject
            {
                ["parent_span_id"] = "root",
                ["start_time"] = Time(T0.AddMilliseconds(900)),
                ["end_time"] = Time(T0.AddMilliseconds(950)),
                ["input"] = new JsonObject { ["q"] = 1 },
                ["output"] = new JsonObject { ["a"] = 2 },
            }));

        var response = await api.PostRawAsync("/api/v1/traces", batch.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(4, (int)(await ApiFixture.ReadJsonAsync(response))["accepted"]!);
        var trace = await api.GetDataAsync($"/api/v1/traces/{id}");
        Assert.Equal(id, (string?)trace["id"]);
        Assert.Equal("checkout-agent", (string?)trace["name"]);
        Assert.Equal(["ingest", "v1"], trace["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Equal("OK", (string?)trace["status"]);
        Assert.Equal(1000d, (double)trace["durationMs"]!);
        Assert.Equal(1500, (long)trace["totalTokens"]!);
        // gpt-4o: 1000 × $2.50/1M + 500 × $10/1M.
        Assert.Equal(0.0075m, (decimal)trace["totalCost"]!);
        var spans = trace["spans"]!.AsArray();
        Assert.Equal(["root", "llm", "tool"], spans.Select(s => (string?)s!["id"]));
        var llm = spans.Single(s => (string?)s!["id"] == "llm")!;
        Assert.Equal("LLM", (string?)llm["type"]);
        Assert.Equal("root", (string?)llm["parentSpanId"]);
        Assert.Equal(1000, (int)llm["usage"]!["promptTokens"]!);
        Assert.Equal(500, (int)llm["usage"]!["completionTokens"]!);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["a"] = 2 }, spans.Single(s => (string?)s!["id"] == "tool")!["output"]));
    }

    [Fact]
    public async Task SpansArrivingBeforeTheirTraceCreateAndAcrossTwoBatchesAssembleIntoOneTrace()
    {
        var id = NewTraceId();

        var first = await api.PostRawAsync("/api/v1/traces", Of(LlmSpan(id, "a", "first", start: T0)).ToJsonString());
        var second = await api.PostRawAsync("/api/v1/traces", Of(
            LlmSpan(id, "b", "second", start: T0.AddSeconds(1)),
            TraceCreate(id, "late-header", ["late"])).ToJsonString());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var trace = await api.GetDataAsync($"/api/v1/traces/{id}");
        Assert.Equal("late-header", (string?)trace["name"]);
        Assert.Equal(["late"], trace["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Equal(["a", "b"], trace["spans"]!.AsArray().Select(s => (string?)s!["id"]).Order());
        Assert.Equal(240, (long)trace["totalTokens"]!);
    }

    [Fact]
    public async Task UsageGivenAsInputAndOutputTokensIsAcceptedAndPriced()
    {
        var id = NewTraceId();
        var span = Span(id, "llm", "LLM", new JsonObject
        {
            ["model"] = "gpt-4o-mini",
            ["input"] = "hi",
            ["usage"] = new JsonObject { ["input_tokens"] = 200, ["output_tokens"] = 100 },
        });

        var response = await api.PostRawAsync("/api/v1/traces", Of(TraceCreate(id), span).ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var trace = await api.GetDataAsync($"/api/v1/traces/{id}");
        var usage = trace["spans"]![0]!["usage"]!;
        Assert.Equal(200, (int)usage["promptTokens"]!);
        Assert.Equal(100, (int)usage["completionTokens"]!);
        Assert.Equal(300, (long)trace["totalTokens"]!);
        // gpt-4o-mini: 200 × $0.15/1M + 100 × $0.60/1M.
        Assert.Equal(0.00009m, (decimal)trace["totalCost"]!);
    }

    [Fact]
    public async Task AnLlmSpanOnAnUnpricedModelMakesTheTraceCostUnknownRatherThanZero()
    {
        var id = NewTraceId();
        var batch = Of(TraceCreate(id, name: id), LlmSpan(id, "priced", "one", "gpt-4o"), LlmSpan(id, "unpriced", "two", "unpriced-model"));

        Assert.Equal(HttpStatusCode.Created, (await api.PostRawAsync("/api/v1/traces", batch.ToJsonString())).StatusCode);

        var trace = await api.GetDataAsync($"/api/v1/traces/{id}");
        Assert.True(trace.AsObject().ContainsKey("totalCost"));
        Assert.Null(trace["totalCost"]);
        Assert.Null(trace["spans"]!.AsArray().Single(s => (string?)s!["id"] == "unpriced")!["cost"]);
        Assert.NotNull(trace["spans"]!.AsArray().Single(s => (string?)s!["id"] == "priced")!["cost"]);
        var listed = await api.GetDataAsync($"/api/v1/traces?name={id}");
        Assert.Null(listed["traces"]!.AsArray().Single()!["totalCost"]);
    }

    [Fact]
    public async Task ASpanWithStatusErrorMakesTheTraceError()
    {
        var id = NewTraceId();
        var batch = Of(TraceCreate(id), LlmSpan(id, "ok", "fine"), Span(id, "broken", "TOOL", new JsonObject { ["status"] = "ERROR" }));

        Assert.Equal(HttpStatusCode.Created, (await api.PostRawAsync("/api/v1/traces", batch.ToJsonString())).StatusCode);

        var trace = await api.GetDataAsync($"/api/v1/traces/{id}");
        Assert.Equal("ERROR", (string?)trace["status"]);
        Assert.Equal("ERROR", (string?)trace["spans"]!.AsArray().Single(s => (string?)s!["id"] == "broken")!["status"]);
    }

    [Fact]
    public async Task ASpanIdSentAgainInALaterBatchReplacesTheSpanInsteadOfDuplicatingIt()
    {
        var id = NewTraceId();
        await api.PostRawAsync("/api/v1/traces", Of(TraceCreate(id), Span(id, "s1", "TOOL", new JsonObject { ["output"] = "first" })).ToJsonString());

        var again = await api.PostRawAsync("/api/v1/traces", Of(Span(id, "s1", "TOOL", new JsonObject { ["output"] = "second" })).ToJsonString());

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        var spans = (await api.GetDataAsync($"/api/v1/traces/{id}"))["spans"]!.AsArray();
        var span = Assert.Single(spans)!;
        Assert.Equal("second", (string?)span["output"]);
        Assert.Equal(1, (int)(await api.GetDataAsync($"/api/v1/traces/{id}"))["spanCount"]!);
    }
}
