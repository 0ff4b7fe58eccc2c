using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Comparison;

/// <summary>One side of a comparison.</summary>
public sealed record ComparedTrace(string TraceId, string Name, TraceLineage? ReplayOf);

/// <summary>
/// How the spans moved. LLM pairs are LLM spans present on both sides; tool-decision spans are those of them with tool
/// calls on either side.
/// </summary>
public sealed record SpanCounts(
    int Same,
    int Changed,
    int Added,
    int Removed,
    int LlmPairs,
    int LlmOutputsChanged,
    int ToolDecisionSpans,
    int ToolDecisionsChanged);

/// <summary>Trace B against trace A: a summary line, metrics, the aligned spans, the scores and the LLM spans' decisions.</summary>
public sealed record TraceComparison(
    ComparedTrace A,
    ComparedTrace B,
    AlignmentMethod Alignment,
    string Summary,
    MetricsComparison Metrics,
    SpanCounts Counts,
    IReadOnlyList<SpanComparison> Spans,
    ScoresComparison Scores,
    DecisionComparison Decisions);

/// <summary>Compares two traces (B against A) with their scores. Pure: the same inputs give the same comparison.</summary>
public static class TraceComparer
{
    /// <param name="stoppedAt">B is a chained replay that stopped at this divergence: its duration, tokens and cost cover
    /// only the spans before it, so they get no verdict (UNKNOWN), and the summary says where it stopped.</param>
    public static TraceComparison Compare(
        TraceData a, TraceData b, IReadOnlyList<TraceScore> scoresA, IReadOnlyList<TraceScore> scoresB, ReplayDivergence? stoppedAt = null)
    {
        var (method, aligned) = SpanAligner.Align(a, b);
        var spans = aligned.Select(SpanComparer.Compare).ToList();
        var metrics = CompareMetrics(a.Spans, b.Spans);
        if (stoppedAt is not null)
        {
            static MetricComparison Partial(MetricComparison m) => m with { Verdict = Verdict.Unknown };
            metrics = metrics with
            {
                DurationMs = Partial(metrics.DurationMs),
                InputTokens = Partial(metrics.InputTokens),
                OutputTokens = Partial(metrics.OutputTokens),
                TotalTokens = Partial(metrics.TotalTokens),
                Cost = Partial(metrics.Cost),
            };
        }

        var counts = Count(spans);
        var scores = ScoreComparer.Compare(scoresA, scoresB);
        return new TraceComparison(
            new ComparedTrace(a.Id, a.Name, a.ReplayOf),
            new ComparedTrace(b.Id, b.Name, b.ReplayOf),
            method,
            ComparisonSummary.Line(metrics, counts, scores, stoppedAt),
            metrics,
            counts,
            spans,
            scores,
            CompareDecisions(aligned));
    }

    /// <summary>
    /// The decision diff of every LLM span present on both sides that B re-ran (spans copied as not replayable are left
    /// out), keyed by A's span id.
    /// </summary>
    public static DecisionComparison CompareDecisions(IReadOnlyList<AlignedSpan> aligned) =>
        DecisionComparison.Of([.. aligned
            .Where(p => p is { A.Type: SpanType.Llm, B: { Type: SpanType.Llm, NotReplayableReason: null } })
            .Select(p => DecisionComparer.Compare(p.A!.Id, p.A.OutputJson, p.B!.OutputJson))]);

    public static MetricsComparison CompareMetrics(IReadOnlyList<SpanData> a, IReadOnlyList<SpanData> b)
    {
        var x = TraceMetrics.From(a);
        var y = TraceMetrics.From(b);
        return new MetricsComparison(
            MetricComparison.Of((decimal?)x.DurationMs, (decimal?)y.DurationMs, Preference.LowerIsBetter),
            MetricComparison.Of(x.PromptTokens, y.PromptTokens, Preference.LowerIsBetter),
            MetricComparison.Of(x.CompletionTokens, y.CompletionTokens, Preference.LowerIsBetter),
            MetricComparison.Of(x.TotalTokens, y.TotalTokens, Preference.LowerIsBetter),
            MetricComparison.Of(x.TotalCost, y.TotalCost, Preference.LowerIsBetter),
            MetricComparison.Of(x.SpanCount, y.SpanCount, Preference.None),
            MetricComparison.Of(a.Count(s => s.Status == SpanStatus.Error), b.Count(s => s.Status == SpanStatus.Error), Preference.LowerIsBetter));
    }

    private static SpanCounts Count(IReadOnlyList<SpanComparison> spans)
    {
        var llmPairs = spans.Where(s => s.Llm is not null).ToList();
        var toolDecisions = llmPairs.Where(s => s.Llm!.ToolCalls.A.Count > 0 || s.Llm.ToolCalls.B.Count > 0).ToList();
        return new SpanCounts(
            spans.Count(s => s.Change == SpanChange.Same),
            spans.Count(s => s.Change == SpanChange.Changed),
            spans.Count(s => s.Change == SpanChange.Added),
            spans.Count(s => s.Change == SpanChange.Removed),
            llmPairs.Count,
            llmPairs.Count(s => s.Output is not null),
            toolDecisions.Count,
            toolDecisions.Count(s => !s.Llm!.ToolCalls.Same));
    }
}
