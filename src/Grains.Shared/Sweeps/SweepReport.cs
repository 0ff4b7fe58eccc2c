using TraceReplay.Grains.Sweeps.Statistics;

namespace TraceReplay.Grains.Sweeps;

/// <summary>What the statistics say about one evaluator.</summary>
public enum SweepVerdict
{
    NoSignificantChange = 0,
    Improved = 1,
    Regressed = 2,
}

/// <summary>One evaluator's paired comparison: replay against original on the traces both sides scored.</summary>
/// <param name="MeanDifference">Mean of (replay − original); positive is better when HigherIsBetter.</param>
/// <param name="Noise">Against the baseline sweep's run-to-run noise, when the sweep names one.</param>
public sealed record EvaluatorStatistics(
    string EvaluatorId, string Name, bool HigherIsBetter, int Pairs, double MeanOriginal, double MeanReplay,
    double MeanDifference, ConfidenceInterval Ci, WilcoxonResult Wilcoxon, SweepVerdict Verdict, NoiseComparison? Noise);

/// <summary>
/// A difference against run-to-run noise: the noise floor is the baseline's confidence bound farthest from zero
/// (|mean difference| + half-width of its 95 % CI); a difference exceeds the noise when its |mean| is larger.
/// </summary>
public sealed record NoiseComparison(string BaselineSweepId, double BaselineMeanDifference, double NoiseFloor, bool ExceedsNoise);

/// <summary>Cost of the traces both sides completed, and the projection to a month at the traces' observed volume.</summary>
public sealed record CostSummary(
    int Traces, decimal? OriginalTotal, decimal? ReplayTotal, decimal? Delta, double? PercentDelta, double TracesPerDay,
    decimal? ProjectedMonthlyOriginal, decimal? ProjectedMonthlyReplay, decimal? ProjectedMonthlyDelta);

/// <summary>Trace durations of the completed traces; replayed durations exclude time queued for the pool or backing off.</summary>
public sealed record LatencySummary(int Traces, double? OriginalP50Ms, double? OriginalP95Ms, double? ReplayP50Ms, double? ReplayP95Ms);

/// <summary>A trace whose score dropped by at least the sweep's regression threshold.</summary>
public sealed record RegressedTrace(string TraceId, string TraceName, string? ReplayTraceId, string EvaluatorId, double Original, double Replay, double Drop);

public sealed record FailedTrace(string TraceId, string TraceName, string? ReplayId, string Error, int Attempts);

/// <summary>One evaluator's scores of one trace, each side (null when that side has no score).</summary>
public sealed record TraceScorePair(string EvaluatorId, double? Original, double? Replay);

/// <summary>One trace's row of the results; Decisions and Divergence as its replay reported them.</summary>
public sealed record TraceOutcome(
    string TraceId, string TraceName, SweepTraceStatus Status, string? ReplayId, string? ReplayTraceId, decimal? OriginalCost,
    decimal? ReplayCost, double? OriginalDurationMs, double? ReplayDurationMs, string? Error, IReadOnlyList<TraceScorePair> Scores,
    ReplayDecisions? Decisions = null, ReplayDivergence? Divergence = null);

/// <summary>Where one trace's chained replay left the recorded path.</summary>
public sealed record TraceDivergence(
    string TraceId, string TraceName, string? ReplayId, string? ReplayTraceId, string SpanId, string SpanName, string Expected,
    string Actual, string Reason);

/// <summary>
/// Decision agreement over the completed traces: replayed LLM spans that decided as the recording did (answer or the
/// same tool calls), the rate weighted by span (null when none was replayed), and the chained replays that diverged.
/// </summary>
public sealed record DecisionSummary(
    int Traces, int Spans, int Agreed, double? AgreementRate, int DivergedTraces, IReadOnlyList<TraceDivergence> Divergences);

/// <summary>The same figures for the traces of one name.</summary>
public sealed record CohortReport(
    string TraceName, int Traces, int Completed, int Failed, IReadOnlyList<EvaluatorStatistics> Evaluators, CostSummary Cost,
    LatencySummary Latency, DecisionSummary? Decisions = null);

/// <summary>A sweep's results, computed from its entries and the traces' scores when asked for.</summary>
/// <param name="SignificantRegression">Whether any evaluator's verdict is REGRESSED: what a CI gate checks.</param>
/// <param name="Repriced">When costs were recomputed at a date's prices (<c>?repriceAt=now</c>): those prices; else null.</param>
public sealed record SweepReport(
    SweepSnapshot Sweep, bool SignificantRegression, IReadOnlyList<EvaluatorStatistics> Evaluators,
    IReadOnlyList<RegressedTrace> RegressedTraces, CostSummary Cost, LatencySummary Latency, IReadOnlyList<FailedTrace> Failures,
    IReadOnlyList<CohortReport> Cohorts, IReadOnlyList<TraceOutcome> Traces, DecisionSummary? Decisions = null,
    PriceSnapshot? Repriced = null);
