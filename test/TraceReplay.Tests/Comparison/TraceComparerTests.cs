using TraceReplay.Grains;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Traces;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Comparison;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class TraceComparerTests
{
    private const string Question = """{"messages":[{"role":"user","content":"Where is my order 42?"}]}""";

    [Fact]
    public void UnrelatedTracesAlignByNameAndTypeAmongSiblingsWithAddedAndRemovedSubtrees()
    {
        var a = Trace("a", [
            Other("root", null, SpanType.Agent, 0, 3000, "\"q\"", "\"done\""),
            Other("search", "root", SpanType.Retrieval, 10, 100, "\"q\"", "\"docs\""),
            Other("rerank", "search", SpanType.Custom, 20, 90, "\"docs\"", "\"docs\""),
            Priced(Llm("answer", "root", 100, 1100, Question, "\"It ships today.\"")),
        ]);
        var b = Trace("b", [
            Other("root", null, SpanType.Agent, 0, 2000, "\"q\"", "\"done\""),
            Priced(Llm("answer", "root", 100, 900, Question, "\"It ships today.\"")),
            Other("audit", "root", SpanType.Custom, 950, 1000, "\"x\"", "\"ok\""),
        ]);

        var comparison = TraceComparer.Compare(a, b, [], []);

        Assert.Equal(AlignmentMethod.Structure, comparison.Alignment);
        Assert.Equal(
            [("root", "root", SpanChange.Same, 0), ("search", null, SpanChange.Removed, 1), ("rerank", null, SpanChange.Removed, 2),
             ("answer", "answer", SpanChange.Same, 1), (null, "audit", SpanChange.Added, 1)],
            comparison.Spans.Select(s => (s.SpanIdA, s.SpanIdB, s.Change, s.Depth)));
        var answer = comparison.Spans.Single(s => s.SpanIdA == "answer");
        Assert.Equal(-200, answer.DurationDeltaMs);
        Assert.Equal((1, 0, 1, 2), (comparison.Counts.Same - 1, comparison.Counts.Changed, comparison.Counts.Added, comparison.Counts.Removed));
        Assert.EndsWith("spans 1 added, 2 removed", comparison.Summary);
    }

    [Fact]
    public void SiblingsWithTheSameNameAreMatchedInStartTimeOrder()
    {
        var a = Trace("a", [
            Other("root", null, SpanType.Chain, 0, 100, null, null),
            Other("s2", "root", SpanType.Tool, 20, 30, "\"second\"", null) with { Name = "step" },
            Other("s1", "root", SpanType.Tool, 10, 20, "\"first\"", null) with { Name = "step" },
        ]);
        var b = Trace("b", [
            Other("root", null, SpanType.Chain, 0, 100, null, null),
            Other("t1", "root", SpanType.Tool, 10, 20, "\"first\"", null) with { Name = "step" },
        ]);

        var comparison = TraceComparer.Compare(a, b, [], []);

        Assert.Contains(comparison.Spans, s => s.SpanIdA == "s1" && s.SpanIdB == "t1" && s.Change == SpanChange.Same);
        Assert.Contains(comparison.Spans, s => s.SpanIdA == "s2" && s.Change == SpanChange.Removed);
    }

    [Fact]
    public void AReplayPairsEachSpanWithTheSpanItReplaysWhateverItsName()
    {
        var a = Trace("orig", [
            Other("root", null, SpanType.Agent, 0, 3000, null, null),
            Priced(Llm("one", "root", 0, 1000, Question, "\"A\"")),
            Priced(Llm("two", "root", 1000, 2000, Question, "\"B\"")),
        ]);
        var b = Trace("replay", [
            Other("r-root", null, SpanType.Agent, 0, 3000, null, null) with { ReplayOfSpanId = "root" },
            // Same name and type as "one", but lineage says it replays "two".
            Priced(Llm("r-two", "r-root", 0, 500, Question, "\"B\"")) with { Name = "llm-one", ReplayOfSpanId = "two" },
            Priced(Llm("r-one", "r-root", 500, 900, Question, "\"A\"")) with { Name = "llm-two", ReplayOfSpanId = "one" },
        ]) with { ReplayOf = new TraceLineage("orig", "rpl_1") };

        var comparison = TraceComparer.Compare(a, b, [], []);

        Assert.Equal(AlignmentMethod.Lineage, comparison.Alignment);
        Assert.Equal([("root", "r-root"), ("one", "r-one"), ("two", "r-two")], comparison.Spans.Select(s => (s.SpanIdA!, s.SpanIdB!)));
        Assert.All(comparison.Spans, s => Assert.Equal(SpanChange.Same, s.Change));

        var reversed = TraceComparer.Compare(b, a, [], []);
        Assert.Equal(AlignmentMethod.Lineage, reversed.Alignment);
        Assert.Contains(reversed.Spans, s => s.SpanIdA == "r-two" && s.SpanIdB == "two");
    }

    [Fact]
    public void AnLlmSpanReportsModelParametersAndAWordDiffOfItsOutput()
    {
        var a = Trace("a", [Priced(Llm("x", null, 0, 1000, Question, "\"Your order 42 is on its way.\"", "gpt-4o",
            """{"temperature":0.7,"max_tokens":256}"""))]);
        var b = Trace("b", [Priced(Llm("x", null, 0, 800, Question, "\"Your order 42 has shipped.\"", "gpt-4o-mini",
            """{"max_tokens":256,"temperature":0,"seed":7}"""))]);

        var span = Assert.Single(TraceComparer.Compare(a, b, [], []).Spans);

        Assert.Equal(SpanChange.Changed, span.Change);
        Assert.Equal(["model", "parameters", "output"], span.ChangedFields);
        Assert.True(span.Llm!.ModelChanged);
        Assert.Equal(("gpt-4o", "gpt-4o-mini"), (span.Llm.ModelA, span.Llm.ModelB));
        Assert.Equal(["seed", "temperature"], span.Llm.ParameterDifferences.Select(p => p.Key));
        Assert.Null(span.Llm.ParameterDifferences[0].A);
        Assert.Equal(0.7, (double)span.Llm.ParameterDifferences[1].A!);
        Assert.Null(span.Input);
        var diff = span.Output!.Text!;
        Assert.Equal("Your order 42 ", diff.Segments[0].Text);
        Assert.Contains(diff.Segments, s => s is { Type: DiffSegmentType.Inserted, Text: var t } && t.Contains("shipped"));
    }

    [Fact]
    public void AChangedPromptGivesATranscriptDiffOfTheInput()
    {
        var a = Trace("a", [Priced(Llm("x", null, 0, 1000, Messages(("system", "Be brief."), ("user", "Hi")), "\"Hello\""))]);
        var b = Trace("b", [Priced(Llm("x", null, 0, 1000, Messages(("system", "Be warm and brief."), ("user", "Hi")), "\"Hello\""))]);

        var span = Assert.Single(TraceComparer.Compare(a, b, [], []).Spans);

        Assert.Equal(["input"], span.ChangedFields);
        Assert.Null(span.Output);
        var diff = span.Input!.Text!;
        Assert.Equal(DiffSegmentType.Equal, diff.Segments[0].Type);
        Assert.StartsWith("system: Be ", diff.Segments[0].Text);
        Assert.Contains(diff.Segments, s => s is { Type: DiffSegmentType.Inserted, Text: var t } && t.Contains("warm"));
        Assert.DoesNotContain(diff.Segments, s => s.Type == DiffSegmentType.Deleted);
    }

    [Fact]
    public void AToolCallArgumentChangeIsAChangedToolDecision()
    {
        var a = Trace("a", [Priced(Llm("plan", null, 0, 1000, Question, ToolCall("call_1", """{\"order_id\":\"42\"}""")))]);
        var b = Trace("b", [Priced(Llm("plan", null, 0, 1000, Question, ToolCall("call_9", """{\"order_id\":\"24\"}""")))]);

        var comparison = TraceComparer.Compare(a, b, [], []);

        var span = Assert.Single(comparison.Spans);
        Assert.Equal(SpanChange.Changed, span.Change);
        Assert.Contains("tool_calls", span.ChangedFields);
        var difference = Assert.Single(span.Llm!.ToolCalls.Differences);
        var argument = Assert.Single(difference.ArgumentDifferences);
        Assert.Equal(("$.order_id", "42", "24"), (argument.Path, (string?)argument.A, (string?)argument.B));
        Assert.Equal((1, 1), (comparison.Counts.ToolDecisionSpans, comparison.Counts.ToolDecisionsChanged));
        Assert.Contains("tool decisions changed in 1 of 1 LLM spans", comparison.Summary);
    }

    [Fact]
    public void AToolCallWithReorderedArgumentsAndANewCallIdIsTheSame()
    {
        var a = Trace("a", [Priced(Llm("plan", null, 0, 1000, Question, ToolCall("call_1", """{\"order_id\":\"42\",\"full\":true}""")))]);
        var b = Trace("b", [Priced(Llm("plan", null, 0, 1000, Question, ToolCall("call_abc", """{ \"full\": true, \"order_id\": \"42\" }""")))]);

        var comparison = TraceComparer.Compare(a, b, [], []);

        Assert.Equal(SpanChange.Same, Assert.Single(comparison.Spans).Change);
        Assert.Contains("0 of 1 LLM outputs changed, tool decisions identical", comparison.Summary);
    }

    [Fact]
    public void AJsonOutputWithReorderedKeysIsTheSame()
    {
        var a = Trace("a", [Other("tool", null, SpanType.Tool, 0, 10, """{"order_id":"42"}""", """{"status":"shipped","eta":{"days":2,"carrier":"dhl"}}""")]);
        var b = Trace("b", [Other("tool", null, SpanType.Tool, 0, 10, """{ "order_id" : "42" }""", """{"eta":{"carrier":"dhl","days":2.0},"status":"shipped"}""")]);
        var c = Trace("c", [Other("tool", null, SpanType.Tool, 0, 10, """{"order_id":"42"}""", """{"eta":{"carrier":"ups","days":2},"status":"shipped"}""")]);

        Assert.Equal(SpanChange.Same, Assert.Single(TraceComparer.Compare(a, b, [], []).Spans).Change);
        var changed = Assert.Single(TraceComparer.Compare(a, c, [], []).Spans);
        Assert.Equal(["output"], changed.ChangedFields);
        Assert.Equal("$.eta.carrier", Assert.Single(changed.Output!.Json).Path);
    }

    [Fact]
    public void AnUnknownCostOnOneSideMakesTheCostDeltaUnknown()
    {
        var a = Trace("a", [Priced(Llm("x", null, 0, 1000, Question, "\"A\""))]);
        var b = Trace("b", [Llm("x", null, 0, 1000, Question, "\"A\"", "unpriced-model")]);

        var comparison = TraceComparer.Compare(a, b, [], []);

        var cost = comparison.Metrics.Cost;
        Assert.Equal(0.01m, cost.A);
        Assert.Null(cost.B);
        Assert.Null(cost.AbsoluteDelta);
        Assert.Null(cost.PercentDelta);
        Assert.Equal(Trend.Unknown, cost.Trend);
        Assert.StartsWith("cost unknown, latency unchanged", comparison.Summary);
    }

    [Fact]
    public void TokensNotRecordedAreUnknownInTotalsAndComparisonsNeverZero()
    {
        // A streamed call exported without usage: no token counts, and so no total.
        var a = Trace("a", [Priced(Llm("x", null, 0, 1000, Question, "\"A\"")) with { PromptTokens = null, CompletionTokens = null }]);
        var b = Trace("b", [Priced(Llm("x", null, 0, 1000, Question, "\"B\"")) with { PromptTokens = 300, CompletionTokens = 63 }]);

        var totals = TraceMetrics.From(a.Spans);
        var comparison = TraceComparer.Compare(a, b, [], []);

        Assert.Equal((null, null, null), (totals.PromptTokens, totals.CompletionTokens, totals.TotalTokens));
        Assert.Null(TraceCatalogRow.From(a).TotalTokens);
        Assert.Equal(363, TraceMetrics.From(b.Spans).TotalTokens);
        Assert.All([comparison.Metrics.InputTokens, comparison.Metrics.OutputTokens, comparison.Metrics.TotalTokens], m =>
        {
            Assert.Null(m.A);
            Assert.Equal((Trend.Unknown, Verdict.Unknown), (m.Trend, m.Verdict));
        });
        Assert.Contains("tokens unknown", comparison.Summary);
    }

    [Fact]
    public void ToolDecisionsAreCountedOverEveryLlmSpanCompared()
    {
        var a = Trace("a", [
            Other("root", null, SpanType.Agent, 0, 3000, "\"q\"", "\"done\""),
            Priced(Llm("plan", "root", 0, 1000, Question, ToolCall("call_1", """{\"order_id\":\"42\"}"""))),
            Priced(Llm("answer", "root", 1000, 2000, Question, "\"It shipped.\"")),
        ]);
        var b = Trace("b", [
            Other("root", null, SpanType.Agent, 0, 3000, "\"q\"", "\"done\""),
            Priced(Llm("plan", "root", 0, 1000, Question, ToolCall("call_9", """{\"order_id\":\"24\"}"""))),
            Priced(Llm("answer", "root", 1000, 2000, Question, "\"It shipped.\"")),
        ]);

        var comparison = TraceComparer.Compare(a, b, [], []);

        Assert.Contains("tool decisions changed in 1 of 2 LLM spans", comparison.Summary);
    }

    [Fact]
    public void AChainedReplayThatStoppedEarlyGetsNoBetterVerdictForItsLowerCostAndSaysWhereItStopped()
    {
        var a = Trace("a", [
            Other("root", null, SpanType.Agent, 0, 3000, "\"q\"", "\"done\""),
            Priced(Llm("plan", "root", 0, 1000, Question, ToolCall("call_1", """{\"order_id\":\"42\"}"""))) with { PromptTokens = 100, CompletionTokens = 10 },
            Priced(Llm("answer", "root", 1000, 2000, Question, "\"It shipped.\"")) with { PromptTokens = 100, CompletionTokens = 10 },
        ]);
        var b = Trace("b", [
            Other("root", null, SpanType.Agent, 0, 1000, "\"q\"", null),
            Priced(Llm("plan", "root", 0, 1000, Question, "\"I cannot look that up.\"")) with { PromptTokens = 100, CompletionTokens = 10 },
        ]);
        var divergence = new ReplayDivergence("plan", "llm-plan", "tool calls lookup_order", "an answer", "the model answered instead of calling a tool");

        var stopped = TraceComparer.Compare(a, b, [], [], divergence);
        var plain = TraceComparer.Compare(a, b, [], []);

        Assert.Equal(Verdict.Better, plain.Metrics.Cost.Verdict);
        Assert.Equal((Trend.Down, Verdict.Unknown), (stopped.Metrics.Cost.Trend, stopped.Metrics.Cost.Verdict));
        Assert.Equal(Verdict.Unknown, stopped.Metrics.DurationMs.Verdict);
        Assert.Equal(Verdict.Unknown, stopped.Metrics.TotalTokens.Verdict);
        Assert.StartsWith("stopped at span 'llm-plan' (plan)", stopped.Summary);
    }

    [Fact]
    public void MetricsCountTokensSpansAndErrorsWithTheirVerdicts()
    {
        var a = Trace("a", [
            Priced(Llm("x", null, 0, 2000, Question, "\"A\"")) with { PromptTokens = 1000, CompletionTokens = 200, Cost = 0.05m },
            Other("t", null, SpanType.Tool, 0, 10, null, null) with { Status = SpanStatus.Error },
        ]);
        var b = Trace("b", [Priced(Llm("x", null, 0, 1000, Question, "\"A\"")) with { PromptTokens = 1000, CompletionTokens = 100, Cost = 0.008m }]);

        var metrics = TraceComparer.Compare(a, b, [], []).Metrics;

        Assert.Equal((2000m, 1000m, -50m, Verdict.Better), (metrics.DurationMs.A!.Value, metrics.DurationMs.B!.Value, metrics.DurationMs.PercentDelta!.Value, metrics.DurationMs.Verdict));
        Assert.Equal((Trend.Flat, Verdict.Neutral), (metrics.InputTokens.Trend, metrics.InputTokens.Verdict));
        Assert.Equal((-100m, -50m, Verdict.Better), (metrics.OutputTokens.AbsoluteDelta!.Value, metrics.OutputTokens.PercentDelta!.Value, metrics.OutputTokens.Verdict));
        Assert.Equal(-8.33m, metrics.TotalTokens.PercentDelta);
        Assert.Equal((-0.042m, -84m, Verdict.Better), (metrics.Cost.AbsoluteDelta!.Value, metrics.Cost.PercentDelta!.Value, metrics.Cost.Verdict));
        Assert.Equal((Trend.Down, Verdict.Neutral), (metrics.SpanCount.Trend, metrics.SpanCount.Verdict));
        Assert.Equal((1m, 0m, Verdict.Better), (metrics.ErrorSpans.A!.Value, metrics.ErrorSpans.B!.Value, metrics.ErrorSpans.Verdict));
    }

    [Fact]
    public void TheSummaryLineSaysCostLatencyScoresOutputsAndToolDecisions()
    {
        var a = Trace("a", [
            Other("root", null, SpanType.Agent, 0, 1000, null, null),
            Llm("plan", "root", 0, 200, Question, ToolCall("call_1", """{\"order_id\":\"42\"}""")) with { Cost = 0.02m },
            Llm("answer", "root", 200, 600, Question, "\"It ships today.\"") with { Cost = 0.02m },
            Llm("polish", "root", 600, 1000, Question, "\"It ships today!\"") with { Cost = 0.01m },
        ]);
        var b = Trace("b", [
            Other("root", null, SpanType.Agent, 0, 690, null, null),
            Llm("plan", "root", 0, 100, Question, ToolCall("call_7", """{\"order_id\": \"42\"}""")) with { Cost = 0.004m },
            Llm("answer", "root", 100, 400, Question, "\"It ships tomorrow.\"") with { Cost = 0.002m },
            Llm("polish", "root", 400, 690, Question, "\"It ships tomorrow!\"") with { Cost = 0.002m },
        ]);
        var now = DateTimeOffset.UtcNow;
        TraceScore Score(string name, double value) => new($"ev_{name}", name, "LLM_JUDGE", value, null, null, 1, now);

        var comparison = TraceComparer.Compare(a, b, [Score("helpfulness", 0.9), Score("tone", 0.5)], [Score("helpfulness", 0.85), Score("tone", 0.505)]);

        Assert.Equal(
            "cost \u221284 %, latency \u221231 %, tokens unchanged, helpfulness \u22120.05, tone unchanged, 2 of 3 LLM outputs changed, tool decisions identical",
            comparison.Summary);
    }

    [Fact]
    public void ScoresCompareByEvaluatorHonourDirectionAndListOneSidedEvaluators()
    {
        var now = DateTimeOffset.UtcNow;
        TraceScore Score(string id, double? value, bool higherIsBetter = true, int version = 1, string? error = null, string? span = null) =>
            new(id, id.Replace("ev_", ""), "RULE", value, null, null, version, now, error, span, higherIsBetter);
        IReadOnlyList<TraceScore> a = [
            Score("ev_helpfulness", 0.6), Score("ev_helpfulness", 0.2, version: 2),
            Score("ev_toxicity", 0.3, higherIsBetter: false), Score("ev_legacy", 0.9), Score("ev_judge", 0.7),
            Score("ev_per_span", 0.1, span: "sp_1"),
        ];
        IReadOnlyList<TraceScore> b = [
            Score("ev_helpfulness", 0.5, version: 2), Score("ev_toxicity", 0.1, higherIsBetter: false),
            Score("ev_fresh", 1.0), Score("ev_judge", null, error: "judge timed out"),
        ];

        var scores = ScoreComparer.Compare(a, b);

        var byName = scores.Evaluators.ToDictionary(e => e.Name);
        Assert.Equal(["fresh", "helpfulness", "judge", "legacy", "toxicity"], scores.Evaluators.Select(e => e.Name));
        Assert.Equal((0.2, 0.5, 0.3, Trend.Up, Verdict.Better), (byName["helpfulness"].A!.Value, byName["helpfulness"].B!.Value, byName["helpfulness"].Delta!.Value, byName["helpfulness"].Trend, byName["helpfulness"].Verdict));
        Assert.Equal((-0.2, Trend.Down, Verdict.Better), (byName["toxicity"].Delta!.Value, byName["toxicity"].Trend, byName["toxicity"].Verdict));
        Assert.Equal((ScorePresence.Both, Trend.Unknown, "judge timed out"), (byName["judge"].Presence, byName["judge"].Trend, byName["judge"].ErrorB));
        Assert.Null(byName["judge"].Delta);
        Assert.Equal(["legacy"], scores.OnlyInA);
        Assert.Equal(["fresh"], scores.OnlyInB);
        Assert.Equal(ScorePresence.BOnly, byName["fresh"].Presence);
        Assert.Null(byName["fresh"].A);
    }

    // SampleTraces' builders, named here because the test namespace TraceReplay.Tests.Llm hides a static import of Llm.
    private static SpanData Llm(string id, string? parent, int startMs, int endMs, string input, string output, string model = "gpt-4o",
        string? parameters = """{"temperature":0.7,"max_tokens":256}""") =>
        SampleTraces.Llm(id, parent, startMs, endMs, input, output, model, parameters);

    private static SpanData Other(string id, string? parent, SpanType type, int startMs, int endMs, string? input, string? output) =>
        SampleTraces.Other(id, parent, type, startMs, endMs, input, output);

    private static string Messages(params (string Role, string Content)[] messages) => SampleTraces.Messages(messages);

    private static TraceData Trace(string id, IReadOnlyList<SpanData> spans) =>
        new(id, "test-agent", null, [], SampleTraces.Start, SampleTraces.Start, spans, null, HasHeader: true);

    private static SpanData Priced(SpanData span) => span with { Cost = 0.01m };

    private static string ToolCall(string id, string escapedArguments) =>
        $$$"""{"role":"assistant","content":null,"tool_calls":[{"id":"{{{id}}}","type":"function","function":{"name":"lookup_order","arguments":"{{{escapedArguments}}}"}}]}""";
}
