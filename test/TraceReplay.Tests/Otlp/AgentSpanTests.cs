using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Otlp.OtlpPayloads;

namespace TraceReplay.Tests.Otlp;

/// <summary>
/// The Vercel AI SDK 7 span tree (attributes as its telemetry documentation lists them): <c>invoke_agent</c> records
/// the run's messages and the seed, temperature and tool choice; its <c>chat</c> calls, under <c>step</c> spans, do not.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class AgentSpanTests(ApiFixture api)
{
    private const string Tools = """[{"type":"function","name":"lookup_order","description":"Find an order","parameters":{"type":"object","properties":{"order_id":{"type":"string"}}}}]""";

    [Fact]
    public async Task SettingsRecordedOnTheAgentSpanApplyToItsChatCallsAndTheAgentSpanCarriesItsMessages()
    {
        var traceId = NewTraceId();
        var agent = Span(traceId, 0, null, "invoke_agent gpt-4o-mini", 0, 3000,
            Attribute("gen_ai.operation.name", "invoke_agent"),
            Attribute("gen_ai.request.model", "gpt-4o-mini"),
            Attribute("gen_ai.request.seed", 7),
            Attribute("gen_ai.request.temperature", 0.3),
            Attribute("gen_ai.request.max_tokens", 150),
            Attribute("ai.prompt.toolChoice", """{"type":"required"}"""),
            Attribute("gen_ai.system_instructions", """[{"type":"text","content":"You help customers."}]"""),
            Attribute("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Where is order 42?"}]}]"""),
            Attribute("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"It shipped."}],"finish_reason":"stop"}]"""),
            Attribute("gen_ai.usage.input_tokens", 80));
        var step = Span(traceId, 1, 0, "step 1", 10, 2990, Attribute("gen_ai.operation.name", "agent_step"));
        var chat = Span(traceId, 2, 1, "chat gpt-4o-mini", 20, 2980,
            Attribute("gen_ai.operation.name", "chat"),
            Attribute("gen_ai.request.model", "gpt-4o-mini"),
            Attribute("gen_ai.request.max_tokens", 100),
            Attribute("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Where is order 42?"}]}]"""),
            Attribute("gen_ai.tool.definitions", Tools),
            Attribute("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"It shipped."}],"finish_reason":"stop"}]"""),
            Attribute("gen_ai.usage.input_tokens", 80),
            Attribute("gen_ai.usage.output_tokens", 4));

        Assert.Equal(HttpStatusCode.OK, (await api.Client.PostAsync("/v1/traces", Content(Request(chat, step, agent)))).StatusCode);

        var trace = await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}");
        var root = trace["spans"]!.AsArray().Single(s => (string?)s!["parentSpanId"] is null)!;
        Assert.Equal("AGENT", (string?)root["type"]);
        Assert.Equal(["system", "user"], root["input"]!.AsArray().Select(m => (string?)m!["role"]));
        Assert.Equal("It shipped.", (string?)root["output"]);
        Assert.Equal(7, (int)root["modelParameters"]!["seed"]!);
        Assert.Equal("required", (string?)root["modelParameters"]!["tool_choice"]);
        Assert.Null(root["usage"]);
        Assert.Equal(80, (int)trace["totalTokens"]! - 4);

        var started = await api.PostAsync($"/api/v1/traces/{Hex(traceId)}/replays", new { model = "gpt-4o" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var done = await api.WaitForReplayAsync((string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!);
        Assert.Equal("COMPLETED", (string?)done["status"]);

        var sent = api.Llm.Requests.Select(r => r.Body)
            .Last(b => (string?)b["model"] == "gpt-4o" && b["messages"]!.AsArray().Any(m => (string?)m!["content"] == "Where is order 42?"));
        Assert.Equal(7, (int)sent["seed"]!);
        Assert.Equal(0.3, (double)sent["temperature"]!);
        Assert.Equal(100, (int)sent["max_completion_tokens"]!);
        Assert.Equal("required", (string?)sent["tool_choice"]);
    }
}
