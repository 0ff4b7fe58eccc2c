using System.Text.Json.Nodes;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Grains.Replays;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Replays;

/// <summary>The replayed answer reaches every recorded output above it that held the recorded one, in its shape.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class AnswerPropagationTests
{
    private const string Old = "Your order 42 is on its way.";
    private const string New = "Order 42 shipped yesterday.";

    private static readonly string OldJson = JsonValue.Create(Old).ToJsonString();

    /// <summary>root (AGENT) → chain (CHAIN) → answer (LLM); the root and the chain record <paramref name="output"/>.</summary>
    private static TraceData Replay(string output, string recordedAnswer, string newMessage, string? chainOutput = null)
    {
        var spans = new List<SpanData>
        {
            SampleTraces.Other("root", null, SpanType.Agent, 0, 3000, "\"where is 42?\"", output),
            SampleTraces.Other("chain", "root", SpanType.Chain, 10, 2990, "\"where is 42?\"", chainOutput ?? output),
            SampleTraces.Llm("answer", "chain", 100, 2900, SampleTraces.Messages(("user", "where is 42?")), recordedAnswer),
        };
        var trace = new TraceData("t1", "agent", null, [], SampleTraces.Start, SampleTraces.Start, spans, null, true);
        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides("gpt-4o-mini", null, null), TemplateContext.Empty);
        Assert.Null(plan.Error);
        var results = plan.Calls.ToDictionary(
            c => c.Span.Id,
            c => new SpanResult(c.Span.Id, "gpt-4o-mini", newMessage, 10, 5, 100, 0, null, false, 1));
        return ReplayTraceBuilder.Build(trace, "rpl_x", plan.Calls, results, SampleTraces.Start, SampleTraces.Start);
    }

    private static string Message(string text) => new JsonObject { ["role"] = "assistant", ["content"] = text }.ToJsonString();

    private static SpanData Span(TraceData trace, string sourceId) => Assert.Single(trace.Spans, s => s.ReplayOfSpanId == sourceId);

    private static void AssertOutput(string expectedJson, SpanData span)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), JsonNode.Parse(span.OutputJson!)), span.OutputJson);
        Assert.True(span.OutputReplayed);
    }

    [Fact]
    public void APlainTextOutputEqualToTheAnswerBecomesTheNewAnswer()
    {
        var replay = Replay(OldJson, OldJson, Message(New));

        AssertOutput(JsonValue.Create(New).ToJsonString(), Span(replay, "root"));
        AssertOutput(JsonValue.Create(New).ToJsonString(), Span(replay, "chain"));
    }

    [Fact]
    public void AnAnswerPropertyCarriesTheNewAnswer()
    {
        var replay = Replay($$"""{"answer":{{OldJson}},"sources":2}""", OldJson, Message(New));

        AssertOutput($$"""{"answer":"{{New}}","sources":2}""", Span(replay, "root"));
    }

    [Fact]
    public void ALangChainOutputPropertyCarriesTheNewAnswerWhenTheLlmRecordedAMessage()
    {
        var replay = Replay($$"""{"output":{{OldJson}}}""", Message(Old), Message(New));

        AssertOutput($$"""{"output":"{{New}}"}""", Span(replay, "root"));
    }

    [Fact]
    public void AnAnswerNestedInAResultsMessageListIsReplaced()
    {
        var output = $$$"""{"result":{"messages":[{"role":"user","content":"where is 42?"},{"role":"assistant","content":{{{OldJson}}}}]}}""";

        var replay = Replay(output, OldJson, Message(New));

        AssertOutput(
            $$$"""{"result":{"messages":[{"role":"user","content":"where is 42?"},{"role":"assistant","content":"{{{New}}}"}]}}""",
            Span(replay, "root"));
    }

    [Fact]
    public void ATextOutputWithAPrefixKeepsThePrefixAroundTheNewAnswer()
    {
        var replay = Replay(JsonValue.Create("Final answer: " + Old + " (agent v2)").ToJsonString(), OldJson, Message(New));

        AssertOutput(JsonValue.Create("Final answer: " + New + " (agent v2)").ToJsonString(), Span(replay, "root"));
    }

    [Fact]
    public void AnAnswerThatIsAJsonObjectIsReplacedWhereTheAncestorRecordedItParsed()
    {
        var oldAnswer = """{"city":"Paris","days":2}""";
        var newAnswer = """{"city":"Lyon","days":3}""";

        var replay = Replay($$"""{"plan":{{oldAnswer}}}""", JsonValue.Create(oldAnswer).ToJsonString(), Message(newAnswer));

        AssertOutput($$"""{"plan":{{newAnswer}}}""", Span(replay, "root"));
    }

    [Fact]
    public void AToolCallAnswerIsReplacedByTheNewToolCalls()
    {
        var newCall = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"cancel_order","arguments":"{\"order_id\":\"42\"}"}}]}""";
        var oldCalls = JsonNode.Parse(SampleTraces.ToolCallMessageJson)!["tool_calls"]!.ToJsonString();

        var replay = Replay($$$"""{"next_action":{"tool_calls":{{{oldCalls}}}}}""", SampleTraces.ToolCallMessageJson, newCall);

        AssertOutput(
            $$$"""{"next_action":{"tool_calls":{{{JsonNode.Parse(newCall)!["tool_calls"]!.ToJsonString()}}}}}""",
            Span(replay, "root"));
    }

    [Fact]
    public void TwoLlmAnswersConcatenatedAreEachReplaced()
    {
        var spans = new List<SpanData>
        {
            SampleTraces.Other("root", null, SpanType.Agent, 0, 3000, "\"go\"", JsonValue.Create("Summary one.\n\nSummary two.").ToJsonString()),
            SampleTraces.Llm("a", "root", 100, 1000, SampleTraces.Messages(("user", "part one")), "\"Summary one.\""),
            SampleTraces.Llm("b", "root", 1100, 2000, SampleTraces.Messages(("user", "part two")), "\"Summary two.\""),
        };
        var trace = new TraceData("t1", "agent", null, [], SampleTraces.Start, SampleTraces.Start, spans, null, true);
        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides("gpt-4o-mini", null, null), TemplateContext.Empty);
        var results = new Dictionary<string, SpanResult>
        {
            // The first new answer contains the second's recorded text: one pass, so it is not replaced again.
            ["a"] = new("a", "gpt-4o-mini", Message("New one, unlike Summary two."), 1, 1, 100, 0, null, false, 1),
            ["b"] = new("b", "gpt-4o-mini", Message("New two."), 1, 1, 100, 0, null, false, 1),
        };

        var replay = ReplayTraceBuilder.Build(trace, "rpl_x", plan.Calls, results, SampleTraces.Start, SampleTraces.Start);

        AssertOutput(JsonValue.Create("New one, unlike Summary two.\n\nNew two.").ToJsonString(), Span(replay, "root"));
    }

    [Fact]
    public void AnOutputThatHoldsNoAnswerIsMarkedNotReplayedAndEvaluatorsReadTheLastReplayedAnswer()
    {
        var replay = Replay("""{"status":"done","steps":3}""", OldJson, Message(New));

        var root = Span(replay, "root");
        Assert.False(root.OutputReplayed);
        Assert.Equal("""{"status":"done","steps":3}""", root.OutputJson);
        Assert.True(Span(replay, "answer").OutputReplayed);
        Assert.Equal(JsonValue.Create(New).ToJsonString(), EvaluationRunner.OutputOf(replay, EvaluationRunner.Root(replay)));
    }

    [Fact]
    public void ARecordedTraceIsUnmarkedAndEvaluatorsReadItsRootOutput()
    {
        var trace = new TraceData("t1", "agent", null, [], SampleTraces.Start, SampleTraces.Start, SampleTraces.Agent().Spans, null, true);

        Assert.All(trace.Spans, s => Assert.Null(s.OutputReplayed));
        Assert.Equal(trace.Spans[0].OutputJson, EvaluationRunner.OutputOf(trace, EvaluationRunner.Root(trace)));
    }

    [Fact]
    public void SpansOffThePathOfAReplayedSpanKeepTheirOutputsUnmarked()
    {
        var trace = new TraceData("t1", "agent", null, [], SampleTraces.Start, SampleTraces.Start, SampleTraces.Agent().Spans, null, true);
        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides("gpt-4o-mini", null, null), TemplateContext.Empty);
        var results = plan.Calls.ToDictionary(c => c.Span.Id, c => new SpanResult(c.Span.Id, "gpt-4o-mini", Message(New), 1, 1, 100, 0, null, false, 1));

        var replay = ReplayTraceBuilder.Build(trace, "rpl_x", plan.Calls, results, SampleTraces.Start, SampleTraces.Start);

        var tool = Span(replay, "tool");
        Assert.Null(tool.OutputReplayed);
        Assert.Equal("""{"status":"shipped"}""", tool.OutputJson);
        AssertOutput(JsonValue.Create(New).ToJsonString(), Span(replay, "root"));
    }
}
