using System.Text.Json.Nodes;
using TraceReplay.Api.Otlp;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Grains;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Otlp.OtlpPayloads;

namespace TraceReplay.Tests.Otlp;

/// <summary>The mapping of conventions the recordings do not cover, on hand-made spans.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class OtlpMappingTests
{
    private static SpanData MapOne(params KeyValue[] attributes) =>
        OtlpSpanMapper.Map(Span(NewTraceId(), 1, null, "span", 0, 250, attributes), new InstrumentationScope { Name = "tests" });

    private static JsonNode Json(string? json) => JsonNode.Parse(json!)!;

    [Theory]
    [InlineData("gpt-4o-mini", "chat", "TOOL", "tool", SpanType.Llm)]
    [InlineData(null, "execute_tool", "LLM", "agent", SpanType.Tool)]
    [InlineData(null, "embeddings", null, null, SpanType.Retrieval)]
    [InlineData(null, "invoke_agent", null, null, SpanType.Agent)]
    [InlineData(null, null, "RETRIEVER", "tool", SpanType.Retrieval)]
    [InlineData(null, null, "CHAIN", null, SpanType.Chain)]
    [InlineData(null, null, "GUARDRAIL", null, SpanType.Custom)]
    [InlineData("gpt-4o-mini", null, null, "workflow", SpanType.Chain)]
    [InlineData(null, null, null, "agent", SpanType.Agent)]
    [InlineData("gpt-4o-mini", null, null, null, SpanType.Llm)]
    [InlineData(null, null, null, null, SpanType.Custom)]
    public void TheTypeComesFromTheGenAiOperationThenOpenInferenceThenTraceloopThenTheModel(
        string? model, string? operation, string? openInferenceKind, string? traceloopKind, SpanType expected)
    {
        var attributes = new List<KeyValue>();
        void Add(string key, string? value)
        {
            if (value is not null)
            {
                attributes.Add(Attribute(key, value));
            }
        }

        Add("gen_ai.request.model", model);
        Add("gen_ai.operation.name", operation);
        Add("openinference.span.kind", openInferenceKind);
        Add("traceloop.span.kind", traceloopKind);

        Assert.Equal(expected, OtlpSpanMapper.DetectType(new OtlpAttributes(attributes)));
    }

    [Fact]
    public void OlderFlattenedPromptAndCompletionAttributesBecomeChatMessages()
    {
        var span = MapOne(
            Attribute("llm.request.type", "chat"),
            Attribute("gen_ai.request.model", "gpt-4o"),
            Attribute("gen_ai.prompt.0.role", "user"),
            Attribute("gen_ai.prompt.0.content", "Find order 7"),
            Attribute("gen_ai.prompt.1.role", "assistant"),
            Attribute("gen_ai.prompt.1.tool_calls.0.id", "call_7"),
            Attribute("gen_ai.prompt.1.tool_calls.0.name", "lookup_order"),
            Attribute("gen_ai.prompt.1.tool_calls.0.arguments", """{"order_id":"7"}"""),
            Attribute("gen_ai.prompt.2.role", "tool"),
            Attribute("gen_ai.prompt.2.content", "delivered"),
            Attribute("gen_ai.prompt.2.tool_call_id", "call_7"),
            Attribute("gen_ai.completion.0.role", "assistant"),
            Attribute("gen_ai.completion.0.content", "It was delivered."),
            Attribute("gen_ai.completion.0.finish_reason", "stop"),
            Attribute("llm.request.functions.0.name", "lookup_order"),
            Attribute("llm.request.functions.0.parameters", """{"type":"object"}"""),
            Attribute("gen_ai.usage.prompt_tokens", 30),
            Attribute("gen_ai.usage.completion_tokens", 5),
            Attribute("gen_ai.request.top_p", 0.9));

        Assert.Equal(SpanType.Llm, span.Type);
        var input = Json(span.InputJson);
        Assert.Equal("call_7", (string?)input["messages"]![1]!["tool_calls"]![0]!["id"]);
        Assert.Equal("""{"order_id":"7"}""", (string?)input["messages"]![1]!["tool_calls"]![0]!["function"]!["arguments"]);
        Assert.Equal("call_7", (string?)input["messages"]![2]!["tool_call_id"]);
        Assert.Equal("object", (string?)input["tools"]![0]!["function"]!["parameters"]!["type"]);
        Assert.Equal("It was delivered.", (string?)Json(span.OutputJson));
        Assert.Equal((30, 5), (span.PromptTokens, span.CompletionTokens));
        Assert.Equal(0.9, (double)Json(span.ModelParametersJson)["top_p"]!);
        Assert.Null(span.NotReplayableReason);
    }

    [Fact]
    public void GenAiMessageEventsBecomeChatMessagesAndTheChoiceTheOutput()
    {
        var source = Span(NewTraceId(), 1, null, "chat", 0, 100,
            Attribute("gen_ai.operation.name", "chat"), Attribute("gen_ai.request.model", "gpt-4o"));
        source.Events.Add(Event("gen_ai.system.message", Attribute("content", "Be brief.")));
        source.Events.Add(Event("gen_ai.user.message", Attribute("gen_ai.event.content", """{"content":"Hi"}""")));
        source.Events.Add(Event("gen_ai.choice", Attribute("message", """{"role":"assistant","content":"Hello."}""")));
        source.Events.Add(Event("exception", Attribute("exception.message", "retry")));

        var span = OtlpSpanMapper.Map(source, null);

        Assert.True(JsonNode.DeepEquals(Json("""[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]"""), Json(span.InputJson)));
        Assert.Equal("Hello.", (string?)Json(span.OutputJson));
        Assert.Equal("exception", (string?)Json(span.MetadataJson)["otel.events"]![0]!["name"]);
    }

    [Fact]
    public void GenAiSystemInstructionsAndImagePartsAreKept()
    {
        var span = MapOne(
            Attribute("gen_ai.operation.name", "chat"),
            Attribute("gen_ai.request.model", "gpt-4o"),
            Attribute("gen_ai.system_instructions", """[{"type":"text","content":"You describe images."}]"""),
            Attribute("gen_ai.input.messages",
                """[{"role":"user","parts":[{"type":"text","content":"What is this?"},{"type":"uri","modality":"image","uri":"https://example.test/cat.png"}]}]"""));

        var messages = Json(span.InputJson).AsArray();
        Assert.Equal("You describe images.", (string?)messages[0]!["content"]);
        Assert.Equal("https://example.test/cat.png", (string?)messages[1]!["content"]![1]!["image_url"]!["url"]);
    }

    [Fact]
    public void OpenInferenceInvocationParametersGiveParametersAndToolChoiceButNotTheModelOrTools()
    {
        var span = MapOne(
            Attribute("openinference.span.kind", "LLM"),
            Attribute("llm.model_name", "gpt-4o-2024-08-06"),
            Attribute("llm.invocation_parameters", """{"model":"gpt-4o","temperature":0,"tool_choice":"required","response_format":{"type":"json_object"},"tools":[]}"""),
            Attribute("llm.input_messages.0.message.role", "user"),
            Attribute("llm.input_messages.0.message.contents.0.message_content.type", "text"),
            Attribute("llm.input_messages.0.message.contents.0.message_content.text", "JSON please"),
            Attribute("llm.output_messages.0.message.role", "assistant"),
            Attribute("llm.output_messages.0.message.content", "{}"));

        Assert.Equal("gpt-4o", span.Model);
        Assert.True(JsonNode.DeepEquals(Json("""{"temperature":0}"""), Json(span.ModelParametersJson)));
        var input = Json(span.InputJson);
        Assert.Equal("required", (string?)input["tool_choice"]);
        Assert.Equal("json_object", (string?)input["response_format"]!["type"]);
        Assert.Equal("JSON please", (string?)input["messages"]![0]!["content"]);
    }

    [Fact]
    public void StatusErrorTimesAndIdsComeFromTheSpan()
    {
        var source = Span(NewTraceId(), 5, 4, "failing", 0, 250);
        source.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" };
        source.StartTimeUnixNano = 1_767_225_600_123_456_789;
        source.EndTimeUnixNano = 1_767_225_600_373_456_789;

        var span = OtlpSpanMapper.Map(source, null);

        Assert.Equal(SpanStatus.Error, span.Status);
        Assert.Equal("boom", (string?)Json(span.MetadataJson)["otel.status_message"]);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1_234_567), span.StartTime);
        Assert.Equal(250, span.DurationMs);
        Assert.Equal("0000000000000006", span.Id);
        Assert.Equal("0000000000000005", span.ParentSpanId);
    }

    [Fact]
    public void AnLlmSpanWithoutMessagesKeepsItsModelAndUsageButIsNotReplayable()
    {
        var span = MapOne(
            Attribute("gen_ai.operation.name", "chat"),
            Attribute("gen_ai.request.model", "gpt-4o"),
            Attribute("gen_ai.usage.input_tokens", 10));

        Assert.Equal("gpt-4o", span.Model);
        Assert.Equal(10, span.PromptTokens);
        Assert.Contains("content capture was off", span.NotReplayableReason);
    }

    private static Span.Types.Event Event(string name, params KeyValue[] attributes)
    {
        var e = new Span.Types.Event { Name = name, TimeUnixNano = 1 };
        e.Attributes.AddRange(attributes);
        return e;
    }
}
