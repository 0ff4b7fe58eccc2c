using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Otlp;

/// <summary>Exports recorded from real instrumentations (test/fixtures/otlp/record.mjs) ingest, map and replay.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class OtlpFixtureIngestionTests(ApiFixture api)
{
    private const string Question = "Where is my order 42?";
    private const string FinalAnswer = "Your order 42 has shipped and arrives on Friday.";

    [Theory]
    [InlineData("openinference-json.json", "/v1/traces", false, "support-agent", "AGENT")]
    [InlineData("openinference-protobuf.pb", "/api/v1/otel/traces", true, "support-agent", "AGENT")]
    [InlineData("traceloop-json.json", "/api/v1/otel/traces", true, "support-agent.workflow", "CHAIN")]
    [InlineData("traceloop-protobuf.pb", "/v1/traces", false, "support-agent.workflow", "CHAIN")]
    [InlineData("vercel-ai-json.json", "/v1/traces", true, "ai.generateText", "CHAIN")]
    public async Task ARecordedExportIngestsMapsAndReplaysWithAModelOverride(
        string fixture, string path, bool gzip, string traceName, string rootType)
    {
        var body = OtlpPayloads.Fresh(fixture, out var ids);
        var contentType = OtlpPayloads.ContentTypeOf(fixture);

        var response = await api.Client.PostAsync(path, OtlpPayloads.Content(body, contentType, gzip));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        var answer = await response.Content.ReadAsByteArrayAsync();
        Assert.True(contentType == OtlpPayloads.Json ? JsonNode.DeepEquals(new JsonObject(), JsonNode.Parse(answer)) : answer.Length == 0);

        var traceId = Assert.Single(ids.Values);
        var trace = await api.GetDataAsync($"/api/v1/traces/{traceId}");
        Assert.Equal(traceName, (string?)trace["name"]);
        Assert.Contains("support-agent", trace["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Equal("support-agent", (string?)trace["metadata"]!["service.name"]);

        var spans = trace["spans"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(4, spans.Count);
        var root = Assert.Single(spans, s => s["parentSpanId"] is null);
        Assert.Equal(rootType, (string?)root["type"]);
        Assert.Equal(FinalAnswer, (string?)root["output"]);
        Assert.Single(spans, s => (string?)s["type"] == "TOOL");
        Assert.All(spans.Where(s => s != root), s => Assert.Equal((string?)root["id"], (string?)s["parentSpanId"]));

        var llm = spans.Where(s => (string?)s["type"] == "LLM").OrderBy(s => (DateTimeOffset)s["startTime"]!).ToList();
        Assert.Equal(2, llm.Count);
        AssertPlanningCall(llm[0]);
        AssertAnsweringCall(llm[1]);

        var replay = await StartReplayAsync(traceId, "gpt-4o");
        var done = await api.WaitForReplayAsync((string)replay["id"]!);
        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.Null(done["skippedSpans"]);
        var replayed = await api.GetDataAsync($"/api/v1/traces/{(string)done["replayTraceId"]!}");
        Assert.Equal(traceId, (string?)replayed["replayOf"]!["traceId"]);
        Assert.All(replayed["spans"]!.AsArray().Where(s => (string?)s!["type"] == "LLM"), s => Assert.StartsWith("gpt-4o", (string?)s!["model"]));

        // The provider got the recorded conversation, tool call and tool result included, with the new model.
        var sent = api.Llm.Requests.Select(r => r.Body)
            .Where(b => (string?)b["model"] == "gpt-4o" && b["messages"]!.AsArray().Any(m => (string?)m!["tool_call_id"] == "call_lookup_42"))
            .Last();
        Assert.Equal("lookup_order", (string?)sent["tools"]![0]!["function"]!["name"]);
        Assert.Equal(0.2, (double)sent["temperature"]!);
        Assert.Equal(200, (int)sent["max_completion_tokens"]!);
        Assert.Equal("""{"order_id":"42"}""", (string?)sent["messages"]![2]!["tool_calls"]![0]!["function"]!["arguments"]);
    }

    [Theory]
    [InlineData("otel-openai-json", "/v1/logs", "/v1/traces", false, true)]
    [InlineData("otel-openai-protobuf", "/api/v1/otel/logs", "/api/v1/otel/traces", true, true)]
    [InlineData("otel-openai-json", "/api/v1/otel/logs", "/v1/traces", true, false)]
    [InlineData("otel-openai-protobuf", "/v1/logs", "/v1/traces", false, false)]
    public async Task TheOfficialInstrumentationsLogRecordsGiveItsSpansTheirMessagesInEitherOrderAndTheTraceReplays(
        string recording, string logsPath, string tracesPath, bool gzip, bool logsFirst)
    {
        var tracesFixture = recording + ".traces" + (recording.EndsWith("json", StringComparison.Ordinal) ? ".json" : ".pb");
        var logsFixture = tracesFixture.Replace(".traces", ".logs", StringComparison.Ordinal);
        var contentType = OtlpPayloads.ContentTypeOf(tracesFixture);
        var traces = OtlpPayloads.Fresh(tracesFixture, out var ids);
        var logs = OtlpPayloads.FreshLogs(logsFixture, tracesFixture, ids);

        async Task PostAsync(string path, byte[] body)
        {
            var response = await api.Client.PostAsync(path, OtlpPayloads.Content(body, contentType, gzip));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
            var answer = await response.Content.ReadAsByteArrayAsync();
            Assert.True(contentType == OtlpPayloads.Json ? JsonNode.DeepEquals(new JsonObject(), JsonNode.Parse(answer)) : answer.Length == 0);
        }

        if (logsFirst)
        {
            await PostAsync(logsPath, logs);
            Assert.Equal(HttpStatusCode.NotFound, (await api.Client.GetAsync($"/api/v1/traces/{Assert.Single(ids.Values)}")).StatusCode);
        }

        await PostAsync(tracesPath, traces);
        if (!logsFirst)
        {
            await PostAsync(logsPath, logs);
        }

        var traceId = Assert.Single(ids.Values);
        var trace = await api.GetDataAsync($"/api/v1/traces/{traceId}");
        var spans = trace["spans"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(4, spans.Count);
        var llm = spans.Where(s => (string?)s["type"] == "LLM").OrderBy(s => (DateTimeOffset)s["startTime"]!).ToList();
        Assert.Equal(2, llm.Count);
        Assert.All(llm, s => Assert.Null(s["notReplayableReason"]));
        Assert.Equal(["system", "user"], llm[0]["input"]!.AsArray().Select(m => (string?)m!["role"]));
        Assert.Equal(Question, (string?)llm[0]["input"]![1]!["content"]);
        Assert.Equal("call_lookup_42", (string?)llm[0]["output"]!["tool_calls"]![0]!["id"]);
        Assert.Equal("""{"order_id":"42"}""", (string?)llm[0]["output"]!["tool_calls"]![0]!["function"]!["arguments"]);
        var history = llm[1]["input"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "tool"], history.Select(m => (string?)m!["role"]));
        Assert.Equal("call_lookup_42", (string?)history[3]!["tool_call_id"]);
        Assert.Equal(FinalAnswer, (string?)llm[1]["output"]);
        Assert.Equal(92, (int?)llm[1]["usage"]!["promptTokens"]);

        var replay = await StartReplayAsync(traceId, "gpt-4o");
        var done = await api.WaitForReplayAsync((string)replay["id"]!);
        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.Null(done["skippedSpans"]);

        // The provider got the recorded conversation, tool call and tool result included, with the new model.
        var sent = api.Llm.Requests.Select(r => r.Body)
            .Where(b => (string?)b["model"] == "gpt-4o" && b["messages"]!.AsArray().Any(m => (string?)m!["tool_call_id"] == "call_lookup_42"))
            .Last();
        Assert.Equal(Question, (string?)sent["messages"]![1]!["content"]);
        Assert.Equal("lookup_order", (string?)sent["messages"]![2]!["tool_calls"]![0]!["function"]!["name"]);
        Assert.Equal("shipped", (string?)JsonNode.Parse((string)sent["messages"]![3]!["content"]!)!["status"]);
        Assert.Equal(0.2, (double)sent["temperature"]!);
    }

    [Theory]
    [InlineData("openinference-hidden-content-json.json", "redacted the prompt")]
    [InlineData("traceloop-no-content-protobuf.pb", "content capture was off")]
    public async Task AnExportWithoutPromptContentIsStoredButMarkedNotReplayable(string fixture, string reason)
    {
        var body = OtlpPayloads.Fresh(fixture, out var ids);

        var response = await api.Client.PostAsync("/v1/traces", OtlpPayloads.Content(body, OtlpPayloads.ContentTypeOf(fixture)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var traceId = Assert.Single(ids.Values);
        var trace = await api.GetDataAsync($"/api/v1/traces/{traceId}");
        var llm = trace["spans"]!.AsArray().Where(s => (string?)s!["type"] == "LLM").ToList();
        Assert.Equal(2, llm.Count);
        Assert.All(llm, s => Assert.Contains(reason, (string?)s!["notReplayableReason"]));
        Assert.All(llm, s => Assert.Equal("gpt-4o-mini", (string?)s!["model"]));
        Assert.Contains(llm, s => (int?)s!["usage"]?["promptTokens"] == 92);

        var refused = await api.PostAsync($"/api/v1/traces/{traceId}/replays", new { model = "gpt-4o" });
        var message = await ApiFixture.AssertErrorAsync(refused, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("no replayable LLM spans", message);
        Assert.Contains(reason, message);
    }

    private static void AssertPlanningCall(JsonObject span)
    {
        Assert.Equal("gpt-4o-mini", (string?)span["model"]);
        var input = span["input"]!.AsObject();
        var messages = input["messages"]!.AsArray();
        Assert.Equal(["system", "user"], messages.Select(m => (string?)m!["role"]));
        Assert.Equal(Question, (string?)messages[1]!["content"]);
        Assert.Equal("lookup_order", (string?)input["tools"]![0]!["function"]!["name"]);
        Assert.Equal("object", (string?)input["tools"]![0]!["function"]!["parameters"]!["type"]);
        var call = span["output"]!["tool_calls"]![0]!;
        Assert.Equal("call_lookup_42", (string?)call["id"]);
        Assert.Equal("lookup_order", (string?)call["function"]!["name"]);
        Assert.Equal("""{"order_id":"42"}""", (string?)call["function"]!["arguments"]);
        Assert.Equal(71, (int?)span["usage"]!["promptTokens"]);
        Assert.Equal(17, (int?)span["usage"]!["completionTokens"]);
        Assert.Equal(0.2, (double)span["modelParameters"]!["temperature"]!);
        Assert.Equal(200, (int)span["modelParameters"]!["max_tokens"]!);
        Assert.Null(span["notReplayableReason"]);
    }

    private static void AssertAnsweringCall(JsonObject span)
    {
        var messages = span["input"]!["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "tool"], messages.Select(m => (string?)m!["role"]));
        Assert.Equal("call_lookup_42", (string?)messages[2]!["tool_calls"]![0]!["id"]);
        Assert.Equal("call_lookup_42", (string?)messages[3]!["tool_call_id"]);
        Assert.Equal("shipped", (string?)JsonNode.Parse((string)messages[3]!["content"]!)!["status"]);
        Assert.Equal(FinalAnswer, (string?)span["output"]);
        Assert.Equal(92, (int?)span["usage"]!["promptTokens"]);
        Assert.Equal(12, (int?)span["usage"]!["completionTokens"]);
    }

    private async Task<JsonNode> StartReplayAsync(string traceId, string model)
    {
        var response = await api.PostAsync($"/api/v1/traces/{traceId}/replays", new { model });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await ApiFixture.ReadJsonAsync(response))["data"]!;
    }
}
