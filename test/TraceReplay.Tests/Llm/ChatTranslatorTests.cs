using System.Text.Json.Nodes;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Chained;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Llm;

[Trait(TestCategory.Name, TestCategory.Unit)]
public class ChatTranslatorTests
{
    /// <summary>The recorded input of the GPT agent's third step: two tool rounds, then the final answer is due.</summary>
    private static JsonObject GptAgentStep3(JsonObject? extra = null)
    {
        var input = (JsonObject)JsonNode.Parse(AgentTraces.CancelOrder("m").Spans.Single(s => s.Id == "step3").InputJson!)!;
        foreach (var (name, value) in extra ?? [])
        {
            input[name] = value?.DeepClone();
        }

        input["model"] = "gpt-4o";
        return input;
    }

    private const string ClaudeAgentRequest = """
        {"model":"claude-3-5-haiku-20241022","max_tokens":512,"system":"You are a support agent. Use tools.",
         "tools":[{"name":"lookup_order","description":"Find an order","input_schema":{"type":"object","properties":{"order_id":{"type":"string"}}}}],
         "tool_choice":{"type":"auto"},"temperature":0.3,"top_k":40,"stop_sequences":["END"],
         "messages":[
           {"role":"user","content":"Please cancel order 42."},
           {"role":"assistant","content":[{"type":"text","text":"Looking it up."},{"type":"tool_use","id":"toolu_1","name":"lookup_order","input":{"order_id":"42"}},{"type":"tool_use","id":"toolu_2","name":"lookup_order","input":{"order_id":"43"}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"{\"status\":\"processing\"}"},{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"not found"}]},{"type":"text","text":"Also tell me when."}]}
         ]}
        """;

    [Fact]
    public void AGptRequestWrittenForAnthropicHasItsSystemAtTheTopAndEveryToolRoundAsToolUseAndToolResultBlocks()
    {
        var translated = ChatTranslator.Translate(GptAgentStep3().ToJsonString(), LlmWireFormat.OpenAi, LlmWireFormat.Anthropic, "claude-3-5-haiku-20241022", 1024);
        var body = translated.Body;

        Assert.Null(FakeAnthropicServer.Validate(body));
        Assert.Equal("You are a support agent. Use tools.", (string?)body["system"]);
        var messages = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user", "assistant", "user"], messages.Select(m => (string?)m!["role"]));
        Assert.DoesNotContain(messages, m => (string?)m!["role"] == "system");

        var firstUse = messages[1]!["content"]!.AsArray().Single()!;
        Assert.Equal("tool_use", (string?)firstUse["type"]);
        Assert.Equal("call_1", (string?)firstUse["id"]);
        Assert.Equal("lookup_order", (string?)firstUse["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"order_id":"42"}"""), firstUse["input"]));
        var firstResult = messages[2]!["content"]!.AsArray().Single()!;
        Assert.Equal("tool_result", (string?)firstResult["type"]);
        Assert.Equal("call_1", (string?)firstResult["tool_use_id"]);
        Assert.Equal(AgentTraces.LookupResult, (string?)firstResult["content"]);
        Assert.Equal("call_2", (string?)messages[3]!["content"]![0]!["id"]);
        Assert.Equal("call_2", (string?)messages[4]!["content"]![0]!["tool_use_id"]);

        var tool = body["tools"]![0]!;
        Assert.Equal("lookup_order", (string?)tool["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"object","properties":{"order_id":{"type":"string"}}}"""), tool["input_schema"]));
        Assert.Equal(1024, (int)body["max_tokens"]!);
    }

    [Fact]
    public void ParallelToolMessagesBecomeToolResultsGroupedInOneUserTurnInOrder()
    {
        var request = new JsonObject
        {
            ["model"] = "gpt-4o",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "Look up 1 and 2." },
                new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = AgentTraces.ToolCalls(("a", "lookup_order", """{"order_id":"1"}"""), ("b", "lookup_order", """{"order_id":"2"}""")) },
                AgentTraces.ToolMessage("a", "one"),
                AgentTraces.ToolMessage("b", "two"),
                new JsonObject { ["role"] = "user", ["content"] = "Thanks, and?" }),
        };

        var body = ChatTranslator.Translate(request.ToJsonString(), LlmWireFormat.OpenAi, LlmWireFormat.Anthropic, "claude-3-5-haiku-20241022", 1024).Body;

        Assert.Null(FakeAnthropicServer.Validate(body));
        var turn = body["messages"]![2]!["content"]!.AsArray();
        Assert.Equal(["tool_result:a", "tool_result:b", "text:"], turn.Select(b => $"{(string?)b!["type"]}:{(string?)b["tool_use_id"]}"));
        Assert.Equal("Thanks, and?", (string?)turn[2]!["text"]);
    }

    [Fact]
    public void ParametersAnthropicDoesNotAcceptAreDroppedAndNamedAndTemperatureIsClampedToItsRange()
    {
        var extra = JsonNode.Parse("""{"temperature":1.6,"seed":7,"presence_penalty":0.5,"logit_bias":{"50256":-100},"response_format":{"type":"json_object"},"max_completion_tokens":300,"top_p":0.9}""")!.AsObject();

        var translated = ChatTranslator.Translate(GptAgentStep3(extra).ToJsonString(), LlmWireFormat.OpenAi, LlmWireFormat.Anthropic, "claude-3-5-haiku-20241022", 1024);

        Assert.Null(FakeAnthropicServer.Validate(translated.Body));
        Assert.Equal(["logit_bias", "presence_penalty", "response_format", "seed"], translated.DroppedParameters.Order());
        Assert.Equal(1.0, (double)translated.Body["temperature"]!);
        Assert.Equal(0.9, (double)translated.Body["top_p"]!);
        Assert.Equal(300, (int)translated.Body["max_tokens"]!);
    }

    [Fact]
    public void AClaudeRequestWrittenForOpenAiHasASystemMessageToolCallsWithTheSameIdsAndToolMessagesBeforeTheUsersText()
    {
        var translated = ChatTranslator.Translate(ClaudeAgentRequest, LlmWireFormat.Anthropic, LlmWireFormat.OpenAi, "gpt-4o-mini", 1024);
        var body = translated.Body;
        var messages = body["messages"]!.AsArray();

        Assert.Equal(["system", "user", "assistant", "tool", "tool", "user"], messages.Select(m => (string?)m!["role"]));
        Assert.Equal("You are a support agent. Use tools.", (string?)messages[0]!["content"]);
        Assert.Equal("Looking it up.", (string?)messages[2]!["content"]);
        var calls = messages[2]!["tool_calls"]!.AsArray();
        Assert.Equal(["toolu_1", "toolu_2"], calls.Select(c => (string?)c!["id"]));
        Assert.Equal("lookup_order", (string?)calls[0]!["function"]!["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"order_id":"42"}"""), JsonNode.Parse((string)calls[0]!["function"]!["arguments"]!)));
        Assert.Equal("toolu_1", (string?)messages[3]!["tool_call_id"]);
        Assert.Equal("""{"status":"processing"}""", (string?)messages[3]!["content"]);
        Assert.Equal("toolu_2", (string?)messages[4]!["tool_call_id"]);
        Assert.Equal("not found", (string?)messages[4]!["content"]);
        Assert.Equal("Also tell me when.", (string?)messages[5]!["content"]);

        Assert.Equal("function", (string?)body["tools"]![0]!["type"]);
        Assert.Equal("object", (string?)body["tools"]![0]!["function"]!["parameters"]!["type"]);
        Assert.Equal("auto", (string?)body["tool_choice"]);
        Assert.Equal(512, (int)body["max_completion_tokens"]!);
        Assert.Equal("END", (string?)body["stop"]![0]);
        Assert.Equal(0.3, (double)body["temperature"]!);
        Assert.False(body.ContainsKey("top_k"));
        Assert.Equal(["top_k"], translated.DroppedParameters);
    }

    [Fact]
    public void AnthropicRequiresMaxTokensSoTheConfiguredDefaultFillsInWhenNoneWasRecorded()
    {
        var request = """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""";

        Assert.Equal(2048, (int)ChatTranslator.Translate(request, LlmWireFormat.OpenAi, LlmWireFormat.Anthropic, "claude-3-5-haiku-20241022", 2048).Body["max_tokens"]!);
        Assert.Equal(4096, (int)ChatTranslator.Translate("""{"model":"claude-3-5-haiku-20241022","messages":[{"role":"user","content":"hi"}]}""", LlmWireFormat.Anthropic, LlmWireFormat.Anthropic, "claude-3-5-haiku-20241022", 4096).Body["max_tokens"]!);
    }

    [Theory]
    [InlineData(LlmWireFormat.OpenAi)]
    [InlineData(LlmWireFormat.Anthropic)]
    public void ASameProviderRequestIsTheRecordedJsonExceptForTheModel(string format)
    {
        var recorded = format == LlmWireFormat.Anthropic
            ? JsonNode.Parse(ClaudeAgentRequest)!.AsObject()
            : GptAgentStep3(JsonNode.Parse("""{"temperature":0.7,"seed":3,"response_format":{"type":"text"},"logit_bias":{"1":2}}""")!.AsObject());

        var translated = ChatTranslator.Translate(recorded.ToJsonString(), format, format, "new-model", 1024);

        recorded["model"] = "new-model";
        Assert.Equal(Canonical(recorded), Canonical(translated.Body));
        Assert.Empty(translated.DroppedParameters);
    }

    [Fact]
    public void AClaudeToolUseAndAGptToolCallWithTheSameNameAndArgumentsAreTheSameDecision()
    {
        var claude = AnthropicMessagesProtocol.WriteReply(new NeutralReply(null, [new ToolCallChatPart("toolu_9", "lookup_order", JsonNode.Parse("""{"order_id":"42"}"""))]));
        var gpt = AgentTraces.Call("call_1", "lookup_order", """{ "order_id": "42" }""");

        Assert.True(DecisionComparer.Compare("s", gpt.ToJsonString(), claude.ToJsonString()).Same);
        var asGpt = ChatTranslator.ConvertReply(claude, LlmWireFormat.OpenAi);
        Assert.Equal("toolu_9", (string?)asGpt["tool_calls"]![0]!["id"]);
        var back = ChatTranslator.ConvertReply(asGpt, LlmWireFormat.Anthropic);
        Assert.Equal(Canonical(claude), Canonical(back));
    }

    [Theory]
    [InlineData("""{"system":"x","messages":[{"role":"user","content":"hi"}]}""", "gpt-4o", LlmWireFormat.Anthropic)]
    [InlineData("""{"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":{}}]}]}""", "gpt-4o", LlmWireFormat.Anthropic)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"n","input_schema":{}}]}""", null, LlmWireFormat.Anthropic)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "claude-3-5-haiku-20241022", LlmWireFormat.Anthropic)]
    [InlineData("""{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]}""", "claude-3-5-haiku-20241022", LlmWireFormat.OpenAi)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "gpt-4o", LlmWireFormat.OpenAi)]
    [InlineData("""[{"role":"user","content":"hi"}]""", "claude-3-5-haiku-20241022", LlmWireFormat.OpenAi)]
    public void TheRecordedProtocolIsReadFromTheRequestsShapeAndOnlyThenFromTheModel(string input, string? model, string expected) =>
        Assert.Equal(expected, LlmWireFormat.Detect(JsonNode.Parse(input), model));

    [Fact]
    public void SpanMetadataNamingAnthropicAsProviderDecidesOnlyWhenTheShapeFitsBothProtocols()
    {
        const string Metadata = """{"gen_ai.provider.name":"anthropic"}""";

        Assert.Equal(LlmWireFormat.Anthropic, LlmWireFormat.Detect(JsonNode.Parse("""{"messages":[{"role":"user","content":"hi"}]}"""), "my-deployment", Metadata));
        // OTLP ingestion stores chat messages in OpenAI form, whichever provider the instrumentation saw.
        Assert.Equal(LlmWireFormat.OpenAi, LlmWireFormat.Detect(JsonNode.Parse("""{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]}"""), "claude-3-5-haiku-20241022", Metadata));
    }

    /// <summary>JSON text with every object's properties sorted: equal text means equal JSON, byte for byte.</summary>
    internal static string Canonical(JsonNode? node) => Sort(node)?.ToJsonString() ?? "null";

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sort)]),
        _ => node?.DeepClone(),
    };
}
