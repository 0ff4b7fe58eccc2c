using System.Globalization;

namespace TraceReplay.Grains.Comparison;

/// <summary>
/// The one line a person pastes into a review, e.g.
/// "cost −84 %, latency −31 %, tokens −12 %, helpfulness −0.05, 2 of 3 LLM outputs changed, tool decisions identical".
/// </summary>
/// <remarks>
/// Cost, latency (trace duration) and total tokens as percent changes ("unchanged" when flat, "unknown" when a side
/// is unknown); error spans only when they moved; each evaluator scored on both sides as an absolute change; then
/// LLM outputs, tool decisions (when any LLM span called tools; counted over every LLM span compared) and added or
/// removed spans. A chained replay that stopped early is said to have stopped first, and its figures get no verdict.
/// </remarks>
public static class ComparisonSummary
{
    private const char Minus = '\u2212';

    public static string Line(MetricsComparison metrics, SpanCounts counts, ScoresComparison scores, ReplayDivergence? stoppedAt = null)
    {
        var parts = new List<string>();
        if (stoppedAt is not null)
        {
            // A replay that stopped early spent less because it did less: its figures are not an improvement.
            parts.Add($"stopped at span '{stoppedAt.SpanName}' ({stoppedAt.SpanId}): cost, latency and tokens cover only the spans before it");
        }

        parts.AddRange(
        [
            $"cost {Percent(metrics.Cost)}",
            $"latency {Percent(metrics.DurationMs)}",
            $"tokens {Percent(metrics.TotalTokens)}",
        ]);
        if (metrics.ErrorSpans.AbsoluteDelta is { } errors && errors != 0)
        {
            parts.Add($"errors {Signed(errors, "0")}");
        }

        parts.AddRange(scores.Evaluators
            .Where(s => s.Delta is not null)
            .Select(s => $"{s.Name} {(s.Trend == Trend.Flat ? "unchanged" : Signed((decimal)s.Delta!.Value, "0.00"))}"));

        if (counts.LlmPairs > 0)
        {
            parts.Add($"{counts.LlmOutputsChanged} of {counts.LlmPairs} LLM outputs changed");
        }

        if (counts.ToolDecisionSpans > 0)
        {
            parts.Add(counts.ToolDecisionsChanged == 0
                ? "tool decisions identical"
                : $"tool decisions changed in {counts.ToolDecisionsChanged} of {counts.LlmPairs} LLM spans");
        }

        if (counts.Added > 0 || counts.Removed > 0)
        {
            parts.Add($"spans {counts.Added} added, {counts.Removed} removed");
        }

        return string.Join(", ", parts);
    }

    private static string Percent(MetricComparison metric) => metric switch
    {
        { Trend: Trend.Unknown } => "unknown",
        { Trend: Trend.Flat } => "unchanged",
        { PercentDelta: { } p } => Signed(Math.Round(p), "0") + " %",
        // A is 0: no percentage, so say where it went.
        _ => $"from 0 to {metric.B!.Value.ToString("0.######", CultureInfo.InvariantCulture)}",
    };

    private static string Signed(decimal value, string format) =>
        (value < 0 ? Minus.ToString() : "+") + Math.Abs(value).ToString(format, CultureInfo.InvariantCulture);
}
