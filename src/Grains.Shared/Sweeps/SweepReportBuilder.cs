using TraceReplay.Grains.Sweeps.Statistics;

namespace TraceReplay.Grains.Sweeps;

/// <summary>One trace's scores on both sides, as read from the original and the replay trace.</summary>
public sealed record TraceScores(IReadOnlyList<TraceScore> Original, IReadOnlyList<TraceScore> Replay);

/// <summary>
/// Computes a sweep's results from its entries and each trace's scores: pure, so the statistics are tested on fixed
/// data. Scores compared are trace-level ones (no span), the latest evaluator version, without an error.
/// </summary>
public static class SweepReportBuilder
{
    /// <summary>Significance level of both the Wilcoxon test and the bootstrap interval (95 %).</summary>
    public const double Alpha = 0.05;

    public static SweepReport Build(
        SweepSnapshot sweep, IReadOnlyList<SweepEntry> entries, IReadOnlyDictionary<string, TraceScores> scores,
        IReadOnlyList<EvaluatorStatistics>? baseline = null)
    {
        var outcomes = entries.Select(e => Outcome(e, scores.GetValueOrDefault(e.TraceId))).ToList();
        var tracesPerDay = TracesPerDay(entries);
        var evaluators = Evaluators(outcomes, scores, entries, sweep.BaselineSweepId, baseline);
        var cohorts = entries.GroupBy(e => e.TraceName, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var members = g.ToList();
                var cohortOutcomes = members.Select(e => Outcome(e, scores.GetValueOrDefault(e.TraceId))).ToList();
                return new CohortReport(
                    g.Key, members.Count, members.Count(e => e.Status == SweepTraceStatus.Completed),
                    members.Count(e => e.Status == SweepTraceStatus.Failed),
                    Evaluators(cohortOutcomes, scores, members, sweep.BaselineSweepId, null), Cost(members, TracesPerDay(members)), Latency(members),
                    Decisions(members));
            })
            .ToList();

        var higherIsBetter = evaluators.ToDictionary(e => e.EvaluatorId, e => e.HigherIsBetter, StringComparer.Ordinal);
        var regressed = outcomes
            .SelectMany(o => o.Scores
                .Where(s => s.Original is not null && s.Replay is not null && higherIsBetter.ContainsKey(s.EvaluatorId))
                .Select(s => (Outcome: o, Score: s, Drop: (s.Original!.Value - s.Replay!.Value) * (higherIsBetter[s.EvaluatorId] ? 1 : -1))))
            .Where(x => x.Drop >= sweep.RegressionThreshold - 1e-9)
            .OrderByDescending(x => x.Drop)
            .Select(x => new RegressedTrace(x.Outcome.TraceId, x.Outcome.TraceName, x.Outcome.ReplayTraceId, x.Score.EvaluatorId,
                x.Score.Original!.Value, x.Score.Replay!.Value, x.Drop))
            .ToList();

        var failures = entries.Where(e => e.Status == SweepTraceStatus.Failed)
            .Select(e => new FailedTrace(e.TraceId, e.TraceName, e.ReplayId, e.Error ?? "FAILED", e.Attempts))
            .ToList();

        return new SweepReport(
            sweep, evaluators.Any(e => e.Verdict == SweepVerdict.Regressed), evaluators, regressed, Cost(entries, tracesPerDay),
            Latency(entries), failures, cohorts, outcomes, Decisions(entries));
    }

    /// <summary>Decision agreement of the completed traces whose replay reported it, and their divergences.</summary>
    public static DecisionSummary Decisions(IReadOnlyList<SweepEntry> entries)
    {
        var completed = entries.Where(e => e.Status == SweepTraceStatus.Completed).ToList();
        var counted = completed.Where(e => e.Decisions is not null).ToList();
        var spans = counted.Sum(e => e.Decisions!.Spans);
        var agreed = counted.Sum(e => e.Decisions!.Agreed);
        var divergences = completed.Where(e => e.Divergence is not null)
            .Select(e => new TraceDivergence(e.TraceId, e.TraceName, e.ReplayId, e.ReplayTraceId, e.Divergence!.SpanId, e.Divergence.SpanName,
                e.Divergence.Expected, e.Divergence.Actual, e.Divergence.Reason))
            .ToList();
        return new DecisionSummary(counted.Count, spans, agreed, spans == 0 ? null : (double)agreed / spans, divergences.Count, divergences);
    }

    /// <summary>The latest version's trace-level score of each evaluator that scored without an error.</summary>
    public static Dictionary<string, TraceScore> Latest(IReadOnlyList<TraceScore> scores) =>
        scores.Where(s => s.SpanId is null && s.Error is null && s.Score is not null)
            .GroupBy(s => s.EvaluatorId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.EvaluatorVersion).ThenByDescending(s => s.CreatedAt).First(), StringComparer.Ordinal);

    private static TraceOutcome Outcome(SweepEntry entry, TraceScores? scores)
    {
        var pairs = new List<TraceScorePair>();
        if (scores is not null)
        {
            var original = Latest(scores.Original);
            var replay = Latest(scores.Replay);
            pairs.AddRange(original.Keys.Union(replay.Keys).Order(StringComparer.Ordinal).Select(id => new TraceScorePair(
                id, original.GetValueOrDefault(id)?.Score, replay.GetValueOrDefault(id)?.Score)));
        }

        return new TraceOutcome(
            entry.TraceId, entry.TraceName, entry.Status, entry.ReplayId, entry.ReplayTraceId, entry.OriginalCost, entry.Cost,
            entry.OriginalDurationMs, entry.DurationMs, entry.Error, pairs, entry.Decisions, entry.Divergence);
    }

    private static List<EvaluatorStatistics> Evaluators(
        List<TraceOutcome> outcomes, IReadOnlyDictionary<string, TraceScores> scores, IReadOnlyList<SweepEntry> entries,
        string? baselineSweepId, IReadOnlyList<EvaluatorStatistics>? baseline)
    {
        var completed = outcomes.Where(o => o.Status == SweepTraceStatus.Completed).ToList();
        var names = new Dictionary<string, (string Name, bool HigherIsBetter)>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.Status == SweepTraceStatus.Completed))
        {
            if (scores.GetValueOrDefault(entry.TraceId) is { } s)
            {
                foreach (var score in Latest(s.Original).Values.Concat(Latest(s.Replay).Values))
                {
                    names.TryAdd(score.EvaluatorId, (score.Name, score.HigherIsBetter));
                }
            }
        }

        var result = new List<EvaluatorStatistics>();
        foreach (var (id, (name, higherIsBetter)) in names.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            var pairs = completed
                .Select(o => o.Scores.FirstOrDefault(s => s.EvaluatorId == id))
                .Where(s => s is { Original: not null, Replay: not null })
                .Select(s => (Original: s!.Original!.Value, Replay: s.Replay!.Value))
                .ToList();
            if (pairs.Count == 0)
            {
                continue;
            }

            result.Add(Compare(id, name, higherIsBetter, pairs, baselineSweepId, baseline?.FirstOrDefault(b => b.EvaluatorId == id)));
        }

        return result;
    }

    /// <summary>
    /// Mean of each side and of the paired differences (replay − original), the bootstrap CI and Wilcoxon p. The verdict
    /// is significant only when both agree: p &lt; 0.05 and the interval excludes zero; its direction follows HigherIsBetter.
    /// </summary>
    public static EvaluatorStatistics Compare(
        string evaluatorId, string name, bool higherIsBetter, IReadOnlyList<(double Original, double Replay)> pairs,
        string? baselineSweepId = null, EvaluatorStatistics? baseline = null)
    {
        var differences = pairs.Select(p => p.Replay - p.Original).ToList();
        var mean = differences.Average();
        var ci = PairedStatistics.BootstrapMeanInterval(differences);
        var wilcoxon = PairedStatistics.WilcoxonSignedRank(differences);
        var significant = wilcoxon.PValue < Alpha && !ci.Contains(0);
        var better = higherIsBetter ? mean > 0 : mean < 0;
        var verdict = !significant ? SweepVerdict.NoSignificantChange : better ? SweepVerdict.Improved : SweepVerdict.Regressed;

        NoiseComparison? noise = null;
        if (baseline is not null && baselineSweepId is not null)
        {
            var floor = Math.Max(Math.Abs(baseline.Ci.Lower), Math.Abs(baseline.Ci.Upper));
            noise = new NoiseComparison(baselineSweepId, baseline.MeanDifference, floor, Math.Abs(mean) > floor);
        }

        return new EvaluatorStatistics(
            evaluatorId, name, higherIsBetter, pairs.Count, pairs.Average(p => p.Original), pairs.Average(p => p.Replay), mean, ci,
            wilcoxon, verdict, noise);
    }

    /// <summary>
    /// Observed volume: the selection's traces per day over the span of their timestamps, at least one day (a
    /// selection recorded within an hour is not taken to repeat 24 times a day).
    /// </summary>
    public static double TracesPerDay(IReadOnlyList<SweepEntry> entries)
    {
        if (entries.Count == 0)
        {
            return 0;
        }

        var days = Math.Max(1, (entries.Max(e => e.TraceTimestamp) - entries.Min(e => e.TraceTimestamp)).TotalDays);
        return entries.Count / days;
    }

    private static CostSummary Cost(IReadOnlyList<SweepEntry> entries, double tracesPerDay)
    {
        var completed = entries.Where(e => e.Status == SweepTraceStatus.Completed).ToList();
        if (completed.Count == 0)
        {
            return new CostSummary(0, null, null, null, null, tracesPerDay, null, null, null);
        }

        var original = completed.Any(e => e.OriginalCost is null) ? (decimal?)null : completed.Sum(e => e.OriginalCost!.Value);
        var replay = completed.Any(e => e.Cost is null) ? (decimal?)null : completed.Sum(e => e.Cost!.Value);
        var delta = replay - original;
        double? percent = original is > 0 && delta is not null ? (double)(delta.Value / original.Value) * 100 : null;
        var monthlyTraces = (decimal)(tracesPerDay * 30);
        var monthlyOriginal = original / completed.Count * monthlyTraces;
        var monthlyReplay = replay / completed.Count * monthlyTraces;
        return new CostSummary(
            completed.Count, original, replay, delta, percent, tracesPerDay, Round(monthlyOriginal), Round(monthlyReplay),
            Round(monthlyReplay - monthlyOriginal));
    }

    private static LatencySummary Latency(IReadOnlyList<SweepEntry> entries)
    {
        var completed = entries.Where(e => e.Status == SweepTraceStatus.Completed).ToList();
        var original = completed.Where(e => e.OriginalDurationMs is not null).Select(e => e.OriginalDurationMs!.Value).ToList();
        var replay = completed.Where(e => e.DurationMs is not null).Select(e => e.DurationMs!.Value).ToList();
        return new LatencySummary(
            completed.Count, PairedStatistics.Percentile(original, 0.5), PairedStatistics.Percentile(original, 0.95),
            PairedStatistics.Percentile(replay, 0.5), PairedStatistics.Percentile(replay, 0.95));
    }

    private static decimal? Round(decimal? value) => value is null ? null : Math.Round(value.Value, 6);
}
