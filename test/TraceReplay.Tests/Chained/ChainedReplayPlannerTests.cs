using System.Text.Json.Nodes;
using TraceReplay.Grains;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Replays;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Chained;

/// <summary>The chain planner on its own: next request from the replayed messages, tool answers, divergences.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class ChainedReplayPlannerTests
{
    private const string Marker = "unit";

    private static readonly TraceData Trace = new(
        "t1", "cancel-agent", null, [], SampleTraces.Start, SampleTraces.Start, AgentTraces.CancelOrder(Marker).Spans, null, true);

    private static readonly ReplayPlan Plan = ReplayPlanner.Plan(Trace, ReplayOverrides.None with { Model = "gpt-4o-mini" }, TemplateContext.Empty);

    private static SpanResult Result(string spanId, JsonObject message) =>
        new(spanId, "gpt-4o-mini", message.ToJsonString(), 10, 5, 100, 0, null, false, 1);

    private static SpanResult Answer(string spanId, string text) =>
        Result(spanId, new JsonObject { ["role"] = "assistant", ["content"] = text });

    private static SpanResult Calls(string spanId, params (string Id, string Name, string Arguments)[] calls) =>
        Result(spanId, new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = AgentTraces.ToolCalls(calls) });

    private static JsonArray MessagesOf(PlannedCall call) => (JsonArray)JsonNode.Parse(call.Request.RequestBodyJson)!["messages"]!;

    [Fact]
    public void TheFirstStepIsSentAsPlannedAndNothingIsDoneYet()
    {
        var step = ChainedReplayPlanner.Next(Plan, Trace, new Dictionary<string, SpanResult>(), ToolMatching.Strict);

        Assert.Empty(step.Done);
        Assert.Equal("step1", step.Next!.Span.Id);
        Assert.Equal(Plan.Calls[0].Request, step.Next.Request);
    }

    [Fact]
    public void TheNextStepCarriesTheReplayedToolCallAndTheRecordedResultUnderTheNewCallId()
    {
        var results = new Dictionary<string, SpanResult> { ["step1"] = Calls("step1", ("new_1", "lookup_order", """{"order_id":"42"}""")) };

        var step = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Strict);

        Assert.Equal("step2", step.Next!.Span.Id);
        var messages = MessagesOf(step.Next);
        Assert.Equal(4, messages.Count);
        Assert.Equal("new_1", (string?)messages[2]!["tool_calls"]![0]!["id"]);
        Assert.Equal("tool", (string?)messages[3]!["role"]);
        Assert.Equal("new_1", (string?)messages[3]!["tool_call_id"]);
        Assert.Equal(AgentTraces.LookupResult, (string?)messages[3]!["content"]);
        Assert.Equal("gpt-4o-mini", (string?)JsonNode.Parse(step.Next.Request.RequestBodyJson)!["model"]);
        Assert.NotNull(JsonNode.Parse(step.Next.Request.RequestBodyJson)!["tools"]);
        Assert.True(JsonNode.DeepEquals(messages, JsonNode.Parse(step.Next.InputJson!)!["messages"]));
    }

    [Fact]
    public void TheThirdStepIsBuiltOnTheSecondStepsReplayedHistory()
    {
        var results = new Dictionary<string, SpanResult>
        {
            ["step1"] = Calls("step1", ("new_1", "lookup_order", """{"order_id":"42"}""")),
            ["step2"] = Calls("step2", ("new_2", "cancel_order", """{"order_id":"42","reason":"customer request"}""")),
        };

        var step = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Strict);

        var messages = MessagesOf(step.Next!);
        Assert.Equal(["system", "user", "assistant", "tool", "assistant", "tool"], messages.Select(m => (string?)m!["role"]));
        Assert.Equal(["new_1", "new_2"], messages.Where(m => (string?)m!["role"] == "tool").Select(m => (string?)m!["tool_call_id"]));
        Assert.Equal(AgentTraces.CancelResult, (string?)messages[5]!["content"]);
        Assert.Equal(["step1", "step2"], step.Done.Select(c => c.Span.Id));
    }

    [Fact]
    public void EveryStepReplayedInAgreementFinishesWithoutADivergence()
    {
        var results = new Dictionary<string, SpanResult>
        {
            ["step1"] = Calls("step1", ("a", "lookup_order", """{"order_id":"42"}""")),
            ["step2"] = Calls("step2", ("b", "cancel_order", """{"reason":"customer request","order_id":"42"}""")),
            ["step3"] = Answer("step3", "Cancelled."),
        };

        var step = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Strict);

        Assert.True(step.IsFinished);
        Assert.Null(step.Divergence);
        Assert.Equal(3, step.Done.Count);
        Assert.Equal(new ReplayDecisions(3, 3), ReplayTraceBuilder.CountDecisions(step.Done, results));
    }

    [Fact]
    public void AnsweringWhereTheOriginalCalledAToolIsTheDivergence()
    {
        var results = new Dictionary<string, SpanResult> { ["step1"] = Answer("step1", "I cannot look that up.") };

        var step = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Strict);

        Assert.True(step.IsFinished);
        Assert.Equal("step1", step.Divergence!.SpanId);
        Assert.Equal("the new model answered where the original called tools", step.Divergence.Reason);
        Assert.Equal("""lookup_order({"order_id":"42"})""", step.Divergence.Expected);
        Assert.Equal("answer: I cannot look that up.", step.Divergence.Actual);
    }

    [Fact]
    public void CallingAToolWhereTheOriginalAnsweredIsTheDivergence()
    {
        var results = new Dictionary<string, SpanResult>
        {
            ["step1"] = Calls("step1", ("a", "lookup_order", """{"order_id":"42"}""")),
            ["step2"] = Calls("step2", ("b", "cancel_order", """{"order_id":"42","reason":"customer request"}""")),
            ["step3"] = Calls("step3", ("c", "lookup_order", """{"order_id":"42"}""")),
        };

        var step = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Strict);

        Assert.Equal("step3", step.Divergence!.SpanId);
        Assert.Equal("the new model called tools where the original answered", step.Divergence.Reason);
    }

    [Fact]
    public void StrictMatchingDivergesOnOtherArgumentsWhereFifoAnswersWithTheNextRecordedResult()
    {
        var results = new Dictionary<string, SpanResult> { ["step1"] = Calls("step1", ("a", "lookup_order", """{"order_id":"0042"}""")) };

        var strict = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Strict);
        var fifo = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Fifo);

        Assert.Equal("step1", strict.Divergence!.SpanId);
        Assert.Contains("""no result of tool 'lookup_order' with arguments {"order_id":"0042"}""", strict.Divergence.Reason);
        Assert.Null(fifo.Divergence);
        Assert.Equal(AgentTraces.LookupResult, (string?)MessagesOf(fifo.Next!)[3]!["content"]);
    }

    [Fact]
    public void FifoDivergesWhenTheToolsRecordedResultsAreUsedUp()
    {
        var results = new Dictionary<string, SpanResult>
        {
            ["step1"] = Calls("step1", ("a", "lookup_order", """{"order_id":"42"}"""), ("b", "lookup_order", """{"order_id":"43"}""")),
        };

        var step = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Fifo);

        Assert.Equal("every recorded result of tool 'lookup_order' (1) was already used", step.Divergence!.Reason);
    }

    [Fact]
    public void AToolTheRecordingNeverCalledIsTheDivergenceWithItsName()
    {
        var results = new Dictionary<string, SpanResult> { ["step1"] = Calls("step1", ("a", "refund_order", """{"order_id":"42"}""")) };

        var step = ChainedReplayPlanner.Next(Plan, Trace, results, ToolMatching.Fifo);

        Assert.Equal("the recording has no result of tool 'refund_order'", step.Divergence!.Reason);
        Assert.Equal("refund_order({\"order_id\":\"42\"})", step.Divergence.Actual);
    }

    [Fact]
    public void ToolResultsFallBackToToolSpansByNameWhenTheNextInputHasNoToolMessage()
    {
        // The recording's step-2 input lost its tool message; the TOOL span named lookup_order still holds the result.
        var spans = Trace.Spans.Select(s => s.Id == "step2"
            ? s with { InputJson = """{"messages":[{"role":"user","content":"[unit] go"}]}""" }
            : s).ToList();
        var recording = ToolRecording.From(Trace with { Spans = spans });

        var (result, reason) = recording.Answer(new ToolCall("lookup_order", JsonNode.Parse("""{"order_id":"42"}""")), ToolMatching.Strict);

        Assert.Null(reason);
        Assert.Equal(AgentTraces.LookupResult, JsonNode.Parse(result!.Content)!.ToJsonString());
    }

    [Fact]
    public void ADivergedTracesPathEndsAtTheDivergingSpanAndItsAncestorsLoseTheirRecordedAnswers()
    {
        var path = ReplayTraceBuilder.PathUpTo(Trace, "step2");

        Assert.Equal(["root", "step1", "t1", "step2"], path.Spans.Select(s => s.Id));
        Assert.Null(path.Spans[0].OutputJson);
        Assert.NotNull(path.Spans[1].OutputJson);
    }

    [Fact]
    public void DecisionsAgreeOnEqualToolCallsAndStructurallyEqualJsonButNotOnOtherArguments()
    {
        var call = AgentTraces.Call("x", "lookup_order", """{"order_id":"42"}""").ToJsonString();
        var sameCall = AgentTraces.Call("y", "lookup_order", """{ "order_id" : "42" }""").ToJsonString();
        var otherCall = AgentTraces.Call("z", "lookup_order", """{"order_id":"7"}""").ToJsonString();

        Assert.True(DecisionComparer.Compare("s", call, sameCall).Same);
        Assert.Equal("tool call 1 (lookup_order): arguments differ at $.order_id", DecisionComparer.Compare("s", call, otherCall).Reason);
        Assert.True(DecisionComparer.Compare("s", "\"Hello there\"", """{"role":"assistant","content":"Hi!"}""").Same);
        Assert.True(DecisionComparer.Compare("s", "\"{\\\"a\\\":1,\\\"b\\\":2}\"", """{"role":"assistant","content":"{\"b\":2, \"a\":1.0}"}""").Same);
        Assert.False(DecisionComparer.Compare("s", "\"{\\\"a\\\":1}\"", """{"role":"assistant","content":"{\"a\":2}"}""").Same);
        Assert.Equal(DecisionKind.ToolCalls, DecisionComparer.Compare("s", "\"Hi\"", call).Replay.Kind);
    }
}
