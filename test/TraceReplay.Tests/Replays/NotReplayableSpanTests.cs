using TraceReplay.Grains;
using TraceReplay.Grains.Replays;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Replays;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class NotReplayableSpanTests
{
    private const string Reason = "the instrumentation did not capture the prompt (content capture off).";

    private static TraceData Trace(IReadOnlyList<SpanData> spans) =>
        new("t1", "agent", null, [], SampleTraces.Start, SampleTraces.Start, spans, null, true);

    [Fact]
    public void ASpanMarkedNotReplayableIsSkippedWithItsReasonAndTheOthersArePlanned()
    {
        var spans = SampleTraces.Agent().Spans
            .Select(s => s.Id == "plan" ? s with { InputJson = null, OutputJson = null, NotReplayableReason = Reason } : s)
            .ToList();

        var plan = ReplayPlanner.Plan(Trace(spans), ReplayOverrides.None, TemplateContext.Empty);

        Assert.Null(plan.Error);
        Assert.Equal(["answer"], plan.Calls.Select(c => c.Span.Id));
        var skipped = Assert.Single(plan.SkippedSpans);
        Assert.Equal(new SkippedSpan("plan", "llm-plan", Reason), skipped);
    }

    [Fact]
    public void AnUnmarkedSpanWithoutInputStillRefusesTheReplay()
    {
        var spans = SampleTraces.Agent().Spans.Select(s => s.Id == "plan" ? s with { InputJson = null } : s).ToList();

        var plan = ReplayPlanner.Plan(Trace(spans), ReplayOverrides.None, TemplateContext.Empty);

        Assert.Contains("'plan' has no replayable input", plan.Error);
    }

    [Fact]
    public void ATraceWhoseLlmSpansAreAllNotReplayableIsRefusedNamingEachReason()
    {
        var spans = SampleTraces.Agent().Spans
            .Select(s => s.Type == SpanType.Llm ? s with { InputJson = null, NotReplayableReason = Reason } : s)
            .ToList();

        var plan = ReplayPlanner.Plan(Trace(spans), ReplayOverrides.None, TemplateContext.Empty);

        Assert.Empty(plan.Calls);
        Assert.Contains("no replayable LLM spans", plan.Error);
        Assert.Contains("span 'plan' (llm-plan): " + Reason, plan.Error);
        Assert.Contains("span 'answer' (llm-answer): " + Reason, plan.Error);
    }

    [Fact]
    public void TheReplayTraceCopiesASkippedSpanAsRecorded()
    {
        var spans = SampleTraces.Agent().Spans
            .Select(s => s.Id == "plan" ? s with { InputJson = null, NotReplayableReason = Reason } : s)
            .ToList();
        var trace = Trace(spans);
        var plan = ReplayPlanner.Plan(trace, new ReplayOverrides("gpt-4o-mini", null, null), TemplateContext.Empty);
        var results = new Dictionary<string, SpanResult>
        {
            ["answer"] = new("answer", "gpt-4o-mini", """{"role":"assistant","content":"ok"}""", 10, 2, 50, 0, null, false, 1),
        };

        var replay = ReplayTraceBuilder.Build(trace, "rpl_x", plan.Calls, results, SampleTraces.Start, SampleTraces.Start);

        var copy = Assert.Single(replay.Spans, s => s.ReplayOfSpanId == "plan");
        Assert.Equal("gpt-4o", copy.Model);
        Assert.Equal(Reason, copy.NotReplayableReason);
        Assert.Equal("gpt-4o-mini", Assert.Single(replay.Spans, s => s.ReplayOfSpanId == "answer").Model);
    }
}
