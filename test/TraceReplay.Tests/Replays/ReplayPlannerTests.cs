using System.Text.Json.Nodes;
using TraceReplay.Grains;
using TraceReplay.Grains.Replays;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Replays;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class ReplayPlannerTests
{
    private static TraceData Trace(TraceIngest ingest) =>
        new("t1", ingest.Header!.Name, null, [], SampleTraces.Start, SampleTraces.Start, ingest.Spans, null, true);

    private static JsonObject Body(PlannedCall call) => JsonNode.Parse(call.Request.RequestBodyJson)!.AsObject();

    /// <summary>The body the recording implies with no overrides: its input, its parameters, its model.</summary>
    private static JsonObject Recorded(SpanData span)
    {
        var input = JsonNode.Parse(span.InputJson!)!;
        var body = input is JsonArray messages ? new JsonObject { ["messages"] = messages.DeepClone() } : input.AsObject();
        foreach (var (key, value) in JsonNode.Parse(span.ModelParametersJson!)!.AsObject())
        {
            body[key == "max_tokens" ? "max_completion_tokens" : key] = value?.DeepClone();
        }

        body["model"] = span.Model;
        return body;
    }

    [Fact]
    public void WithoutOverridesEveryLlmSpanIsSentAsRecorded()
    {
        var trace = Trace(SampleTraces.Agent());
        var plan = ReplayPlanner.Plan(trace, ReplayOverrides.None, TemplateContext.Empty);

        Assert.Null(plan.Error);
        Assert.Equal(["plan", "answer"], plan.Calls.Select(c => c.Span.Id));
        foreach (var call in plan.Calls)
        {
            Assert.True(JsonNode.DeepEquals(Recorded(call.Span), Body(call)), Body(call).ToJsonString());
        }

        Assert.Equal(new OverrideCounts(0, 0, 0), plan.Counts);
    }

    [Fact]
    public void AModelOverrideChangesTheModelAndNothingElse()
    {
        var trace = Trace(SampleTraces.Agent());
        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides("gpt-4o-mini", null, null), TemplateContext.Empty);

        foreach (var call in plan.Calls)
        {
            var expected = Recorded(call.Span);
            expected["model"] = "gpt-4o-mini";
            Assert.True(JsonNode.DeepEquals(expected, Body(call)));
            Assert.Equal("gpt-4o-mini", call.Request.Model);
        }

        Assert.Equal(new OverrideCounts(2, 0, 0), plan.Counts);
    }

    [Fact]
    public void ParameterOverridesMergeOverTheRecordedOnesAndNullRemovesAKey()
    {
        var trace = Trace(SampleTraces.Agent());
        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides(null, null, """{"temperature":0,"max_tokens":null,"seed":7}"""), TemplateContext.Empty);

        var body = Body(plan.Calls[0]);
        var expected = Recorded(plan.Calls[0].Span);
        expected["temperature"] = 0;
        expected.Remove("max_completion_tokens");
        expected["seed"] = 7;
        Assert.True(JsonNode.DeepEquals(expected, body), body.ToJsonString());
        Assert.Equal("""{"temperature":0,"seed":7}""", plan.Calls[0].ModelParametersJson);
        Assert.Equal(new OverrideCounts(0, 2, 0), plan.Counts);
    }

    [Fact]
    public void ToolCallsToolResultsAndToolDefinitionsAreSentUnchanged()
    {
        var trace = Trace(SampleTraces.Agent());
        var answer = ReplayPlanner.Plan(trace, new ReplayOverrides("gpt-4.1-mini", null, null), TemplateContext.Empty).Calls[1];
        var body = Body(answer);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(SampleTraces.ToolsJson), body["tools"]));
        Assert.Equal("auto", (string?)body["tool_choice"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(SampleTraces.ToolCallMessageJson), body["messages"]![2]));
        Assert.Equal("tool", (string?)body["messages"]![3]!["role"]);
        Assert.Equal("call_1", (string?)body["messages"]![3]!["tool_call_id"]);
    }

    [Theory]
    [InlineData("""{"temperature":2.5}""", "modelParameters.temperature")]
    [InlineData("""{"temperature":-0.1}""", "modelParameters.temperature")]
    [InlineData("""{"top_p":1.5}""", "modelParameters.top_p")]
    [InlineData("""{"max_tokens":0}""", "modelParameters.max_tokens")]
    [InlineData("""{"frequency_penalty":-2.5}""", "modelParameters.frequency_penalty")]
    [InlineData("""{"presence_penalty":3}""", "modelParameters.presence_penalty")]
    [InlineData("""{"temperature":"hot"}""", "modelParameters.temperature")]
    public void OutOfRangeParametersAreRefusedNamingTheField(string parameters, string field)
    {
        var plan = ReplayPlanner.Plan(Trace(SampleTraces.Agent()), new ReplayOverrides(null, null, parameters), TemplateContext.Empty);
        Assert.Empty(plan.Calls);
        Assert.StartsWith(field, plan.Error);
    }

    [Fact]
    public void ATraceWithoutLlmSpansCannotBeReplayed()
    {
        var ingest = new TraceIngest(SampleTraces.Header(), [SampleTraces.Other("root", null, SpanType.Tool, 0, 10, "{}", "{}")]);
        var plan = ReplayPlanner.Plan(Trace(ingest), ReplayOverrides.None, TemplateContext.Empty);
        Assert.Contains("no LLM spans", plan.Error);
    }

    [Fact]
    public void ATemplateOverrideReRendersOnlySpansOfThatTemplate()
    {
        var v1 = new PromptTemplateVersion("ptv_1", "support", 1, "Be {{tone}}.", ["tone"], null, null, SampleTraces.Start);
        var v2 = v1 with { Id = "ptv_2", Version = 2, Content = "Be very {{tone}} & brief." };
        var other = "ptv_other";
        var templated = SampleTraces.Llm("a", null, 0, 10, SampleTraces.Messages(("system", "Be kind."), ("user", "hi")), "\"x\"") with
        {
            PromptTemplateVersionId = v1.Id, PromptVariablesJson = """{"tone":"kind"}""",
        };
        var otherTemplate = SampleTraces.Llm("b", null, 20, 30, SampleTraces.Messages(("system", "Other."), ("user", "hi")), "\"y\"") with
        {
            PromptTemplateVersionId = other, PromptVariablesJson = """{"tone":"kind"}""",
        };
        var none = SampleTraces.Llm("c", null, 40, 50, SampleTraces.Messages(("user", "hi")), "\"z\"");
        var trace = Trace(new TraceIngest(SampleTraces.Header(), [templated, otherTemplate, none]));
        var context = new TemplateContext(v2, new Dictionary<string, string> { [v1.Id] = "support", [other] = "other" });

        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides(null, v2.Id, null), context);

        Assert.Null(plan.Error);
        Assert.Equal("Be very kind & brief.", (string?)Body(plan.Calls[0])["messages"]![0]!["content"]);
        Assert.Equal("hi", (string?)Body(plan.Calls[0])["messages"]![1]!["content"]);
        Assert.Equal(v2.Id, plan.Calls[0].TemplateVersionId);
        Assert.True(JsonNode.DeepEquals(Recorded(otherTemplate), Body(plan.Calls[1])));
        Assert.True(JsonNode.DeepEquals(Recorded(none), Body(plan.Calls[2])));
        Assert.Equal(new OverrideCounts(0, 0, 1), plan.Counts);
    }

    [Fact]
    public void ATemplateVariableMissingFromTheRecordingIsAClearError()
    {
        var v1 = new PromptTemplateVersion("ptv_1", "support", 1, "Be {{tone}}.", ["tone"], null, null, SampleTraces.Start);
        var v2 = v1 with { Id = "ptv_2", Version = 2, Content = "Be {{tone}} for {{company}}." };
        var span = SampleTraces.Llm("a", null, 0, 10, SampleTraces.Messages(("system", "Be kind."), ("user", "hi")), "\"x\"") with
        {
            PromptTemplateVersionId = v1.Id, PromptVariablesJson = """{"tone":"kind"}""",
        };
        var trace = Trace(new TraceIngest(SampleTraces.Header(), [span]));

        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides(null, v2.Id, null), new TemplateContext(v2, new Dictionary<string, string> { [v1.Id] = "support" }));

        Assert.Contains("company", plan.Error);
    }
}
