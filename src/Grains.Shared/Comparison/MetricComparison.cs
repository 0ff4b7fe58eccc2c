namespace TraceReplay.Grains.Comparison;

/// <summary>Which way a figure moved from trace A to trace B.</summary>
public enum Trend
{
    Flat = 0,
    Up = 1,
    Down = 2,

    /// <summary>A value is missing on one side (for example an unknown cost), so no direction can be given.</summary>
    Unknown = 3,
}

/// <summary>Whether the move is good news for B.</summary>
public enum Verdict
{
    Neutral = 0,
    Better = 1,
    Worse = 2,
    Unknown = 3,
}

/// <summary>Whether a smaller or a larger value is the better one, or neither.</summary>
public enum Preference
{
    None = 0,
    LowerIsBetter = 1,
    HigherIsBetter = 2,
}

/// <summary>
/// One figure on both sides: <c>AbsoluteDelta = B − A</c> and <c>PercentDelta = (B − A) / A × 100</c> (rounded to
/// 0.01; null when A is 0 and B is not). Either side unknown (null) makes the deltas null and the trend and verdict
/// <see cref="Trend.Unknown"/>.
/// </summary>
/// <remarks>
/// Flat threshold: a metric is <see cref="Trend.Flat"/> when its delta is 0 or <c>|PercentDelta| &lt; 1</c>
/// (<see cref="FlatPercent"/>). A flat or direction-less figure is <see cref="Verdict.Neutral"/>.
/// </remarks>
public sealed record MetricComparison(
    decimal? A,
    decimal? B,
    decimal? AbsoluteDelta,
    decimal? PercentDelta,
    Trend Trend,
    Verdict Verdict)
{
    /// <summary>Moves smaller than this percentage of A count as flat.</summary>
    public const decimal FlatPercent = 1m;

    public static MetricComparison Of(decimal? a, decimal? b, Preference preference)
    {
        if (a is not { } x || b is not { } y)
        {
            return new MetricComparison(a, b, null, null, Trend.Unknown, Verdict.Unknown);
        }

        var delta = y - x;
        decimal? percent = x != 0 ? Math.Round(delta / x * 100m, 2) : delta == 0 ? 0m : null;
        var trend = delta == 0 || (percent is { } p && Math.Abs(p) < FlatPercent) ? Trend.Flat
            : delta > 0 ? Trend.Up
            : Trend.Down;
        return new MetricComparison(x, y, delta, percent, trend, VerdictFor(trend, preference));
    }

    internal static Verdict VerdictFor(Trend trend, Preference preference) => (trend, preference) switch
    {
        (Trend.Unknown, _) => Verdict.Unknown,
        (Trend.Flat, _) or (_, Preference.None) => Verdict.Neutral,
        (Trend.Down, Preference.LowerIsBetter) or (Trend.Up, Preference.HigherIsBetter) => Verdict.Better,
        _ => Verdict.Worse,
    };
}

/// <summary>The trace-level figures side by side. Lower duration, tokens, cost and error spans are better.</summary>
public sealed record MetricsComparison(
    MetricComparison DurationMs,
    MetricComparison InputTokens,
    MetricComparison OutputTokens,
    MetricComparison TotalTokens,
    MetricComparison Cost,
    MetricComparison SpanCount,
    MetricComparison ErrorSpans);
