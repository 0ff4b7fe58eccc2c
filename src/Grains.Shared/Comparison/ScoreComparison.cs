namespace TraceReplay.Grains.Comparison;

/// <summary>On which side an evaluator scored.</summary>
public enum ScorePresence
{
    Both = 0,
    AOnly = 1,
    BOnly = 2,
}

/// <summary>
/// One evaluator's trace-level score on each side. <c>Delta = B − A</c> (rounded to 0.0001); a side that is missing
/// or whose evaluator failed (Error) has no score, and then the delta is null and the trend Unknown.
/// </summary>
/// <remarks>
/// Scores lie in [0, 1], so their flat threshold is absolute: <c>|Delta| &lt; 0.01</c> (<see cref="FlatDelta"/>).
/// Higher is better unless the evaluator's score says otherwise (<see cref="TraceScore.HigherIsBetter"/>).
/// </remarks>
public sealed record ScoreComparison(
    string EvaluatorId,
    string Name,
    ScorePresence Presence,
    bool HigherIsBetter,
    double? A,
    double? B,
    double? Delta,
    Trend Trend,
    Verdict Verdict,
    string? ErrorA,
    string? ErrorB)
{
    /// <summary>Score moves smaller than this (on the 0–1 scale) count as flat.</summary>
    public const double FlatDelta = 0.01;
}

/// <summary>Every evaluator that scored either trace, and the names of those that scored one side only.</summary>
public sealed record ScoresComparison(
    IReadOnlyList<ScoreComparison> Evaluators,
    IReadOnlyList<string> OnlyInA,
    IReadOnlyList<string> OnlyInB);

/// <summary>Compares the trace-level scores of two traces, evaluator by evaluator.</summary>
public static class ScoreComparer
{
    /// <summary>
    /// Per evaluator id, the trace-level score (no span) of its highest version, the latest if several; span-level
    /// scores are not compared because span ids differ between traces. Ordered by evaluator name.
    /// </summary>
    public static ScoresComparison Compare(IReadOnlyList<TraceScore> a, IReadOnlyList<TraceScore> b)
    {
        var x = Latest(a);
        var y = Latest(b);
        var evaluators = x.Keys.Union(y.Keys, StringComparer.Ordinal)
            .Select(id => Compare(id, x.GetValueOrDefault(id), y.GetValueOrDefault(id)))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ThenBy(c => c.EvaluatorId, StringComparer.Ordinal)
            .ToList();
        return new ScoresComparison(
            evaluators,
            [.. evaluators.Where(e => e.Presence == ScorePresence.AOnly).Select(e => e.Name)],
            [.. evaluators.Where(e => e.Presence == ScorePresence.BOnly).Select(e => e.Name)]);
    }

    private static ScoreComparison Compare(string evaluatorId, TraceScore? a, TraceScore? b)
    {
        var any = (b ?? a)!;
        var presence = a is null ? ScorePresence.BOnly : b is null ? ScorePresence.AOnly : ScorePresence.Both;
        var higherIsBetter = any.HigherIsBetter;
        var (valueA, valueB) = (a?.Error is null ? a?.Score : null, b?.Error is null ? b?.Score : null);
        double? delta = valueA is { } va && valueB is { } vb ? Math.Round(vb - va, 4) : null;
        var trend = delta switch
        {
            null => Trend.Unknown,
            { } d when Math.Abs(d) < ScoreComparison.FlatDelta => Trend.Flat,
            > 0 => Trend.Up,
            _ => Trend.Down,
        };
        var verdict = MetricComparison.VerdictFor(trend, higherIsBetter ? Preference.HigherIsBetter : Preference.LowerIsBetter);
        return new ScoreComparison(evaluatorId, any.Name, presence, higherIsBetter, valueA, valueB, delta, trend, verdict, a?.Error, b?.Error);
    }

    private static Dictionary<string, TraceScore> Latest(IReadOnlyList<TraceScore> scores) =>
        scores.Where(s => s.SpanId is null)
            .GroupBy(s => s.EvaluatorId, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => g.OrderByDescending(s => s.EvaluatorVersion).ThenByDescending(s => s.CreatedAt).First(),
                StringComparer.Ordinal);
}
