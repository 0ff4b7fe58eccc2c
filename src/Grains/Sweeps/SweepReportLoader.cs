using TraceReplay.Grains.Llm;

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
        LoadAsync(grains, sweepId, null, withBaseline: true, cancellationToken);

    /// <summary>
    /// The report; with <paramref name="repriceWith"/>, every completed trace's original and replay cost is recomputed
    /// from its LLM spans' token counts at the table's prices in force now (both traces are read), instead of the
    /// figures stored when the sweep ran.
    /// </summary>
    public static Task<SweepReport?> LoadAsync(
        IGrainFactory grains, string sweepId, ModelPriceTable? repriceWith, CancellationToken cancellationToken = default) =>
        LoadAsync(grains, sweepId, repriceWith, withBaseline: true, cancellationToken);

    private static async Task<SweepReport?> LoadAsync(
        IGrainFactory grains, string sweepId, ModelPriceTable? repriceWith, bool withBaseline, CancellationToken cancellationToken)
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
            && await LoadAsync(grains, baselineId, null, withBaseline: false, cancellationToken) is { } baselineReport)
        {
            baseline = baselineReport.Evaluators;
        }

        PriceSnapshot? repriced = null;
        if (repriceWith is not null)
        {
            (entries, repriced) = await RepriceAsync(grains, snapshot.Project, entries, repriceWith, cancellationToken);
        }

        var report = SweepReportBuilder.Build(snapshot, entries, await ReadScoresAsync(grains, snapshot.Project, entries, cancellationToken), baseline);
        return report with { Repriced = repriced };
    }

    private static async Task<(IReadOnlyList<SweepEntry> Entries, PriceSnapshot Prices)> RepriceAsync(
        IGrainFactory grains, string project, IReadOnlyList<SweepEntry> entries, ModelPriceTable prices, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var repriced = entries.ToArray();
        var models = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, repriced.Length).Where(i => repriced[i].Status == SweepTraceStatus.Completed && repriced[i].ReplayTraceId is not null),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, _) =>
            {
                var entry = repriced[i];
                var original = await grains.GetGrain<ITraceGrain>(TraceKeys.For(project, entry.TraceId)).GetAsync();
                var replay = await grains.GetGrain<ITraceGrain>(TraceKeys.For(project, entry.ReplayTraceId!)).GetAsync();
                lock (models)
                {
                    repriced[i] = entry with { OriginalCost = CostNow(original), Cost = CostNow(replay) };
                }
            });
        return (repriced, prices.Snapshot(models, now));

        decimal? CostNow(TraceData? trace)
        {
            if (trace is null)
            {
                return null;
            }

            decimal? total = 0m;
            foreach (var span in trace.Spans.Where(s => s.Type == SpanType.Llm))
            {
                models.Add(span.Model ?? "");
                total += prices.Cost(span.Model, span.PromptTokens, span.CompletionTokens, now);
            }

            return total;
        }
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
