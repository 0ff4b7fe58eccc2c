namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// Reads what a sweep's results need — its entries, then the scores of each completed trace and its replay trace,
/// a bounded number of reads at a time — and hands them to <see cref="SweepReportBuilder"/>. Runs outside any grain
/// call (in the API), so a 10,000-trace sweep's 20,000 score reads do not race a grain call's timeout.
/// </summary>
public static class SweepReportLoader
{
    private const int ParallelReads = 32;

    /// <summary>The report, or null for an unknown sweep. A baseline sweep's own figures are read without its baseline.</summary>
    public static Task<SweepReport?> LoadAsync(IGrainFactory grains, string sweepId, CancellationToken cancellationToken = default) =>
        LoadAsync(grains, sweepId, withBaseline: true, cancellationToken);

    private static async Task<SweepReport?> LoadAsync(IGrainFactory grains, string sweepId, bool withBaseline, CancellationToken cancellationToken)
    {
        var sweep = grains.GetGrain<ISweepGrain>(sweepId);
        var snapshot = await sweep.GetAsync();
        var entries = await sweep.GetEntriesAsync();
        if (snapshot is null || entries is null)
        {
            return null;
        }

        IReadOnlyList<EvaluatorStatistics>? baseline = null;
        if (withBaseline && snapshot.BaselineSweepId is { } baselineId && baselineId != sweepId
            && await LoadAsync(grains, baselineId, withBaseline: false, cancellationToken) is { } baselineReport)
        {
            baseline = baselineReport.Evaluators;
        }

        return SweepReportBuilder.Build(snapshot, entries, await ReadScoresAsync(grains, snapshot.Project, entries, cancellationToken), baseline);
    }

    private static async Task<Dictionary<string, TraceScores>> ReadScoresAsync(
        IGrainFactory grains, string project, IReadOnlyList<SweepEntry> entries, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<string, TraceScores>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            entries.Where(e => e.Status == SweepTraceStatus.Completed && e.ReplayTraceId is not null),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (entry, _) =>
            {
                var original = await grains.GetGrain<ITraceGrain>(TraceKeys.For(project, entry.TraceId)).GetScoresAsync();
                var replay = await grains.GetGrain<ITraceGrain>(TraceKeys.For(project, entry.ReplayTraceId!)).GetScoresAsync();
                lock (scores)
                {
                    scores[entry.TraceId] = new TraceScores(original, replay);
                }
            });
        return scores;
    }
}
