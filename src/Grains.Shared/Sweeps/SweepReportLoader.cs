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
    /// The report; with <paramref name="repriceAt"/>, every completed trace's original and replay cost is recomputed
    /// from its LLM spans' token counts at the prices in force at that instant (both traces are read; the prices come
    /// from the silo's <see cref="IModelCatalogGrain"/>), instead of the figures stored when the sweep ran.
    /// </summary>
    public static Task<SweepReport?> LoadAsync(
        IGrainFactory grains, string sweepId, DateTimeOffset? repriceAt, CancellationToken cancellationToken = default) =>
        LoadAsync(grains, sweepId, repriceAt, withBaseline: true, cancellationToken);

    private static async Task<SweepReport?> LoadAsync(
        IGrainFactory grains, string sweepId, DateTimeOffset? repriceAt, bool withBaseline, CancellationToken cancellationToken)
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
        if (repriceAt is { } at)
        {
            (entries, repriced) = await RepriceAsync(grains, snapshot.Project, entries, at, cancellationToken);
        }

        var report = SweepReportBuilder.Build(snapshot, entries, await ReadScoresAsync(grains, snapshot.Project, entries, cancellationToken), baseline);
        return report with { Repriced = repriced };
    }

    private static async Task<(IReadOnlyList<SweepEntry> Entries, PriceSnapshot Prices)> RepriceAsync(
        IGrainFactory grains, string project, IReadOnlyList<SweepEntry> entries, DateTimeOffset at, CancellationToken cancellationToken)
    {
        // Read every completed trace pair's LLM usage first (only the usage is kept), then ask the silo for the prices
        // of the models they name, then price them.
        var usage = new (LlmUsage[]? Original, LlmUsage[]? Replay)?[entries.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, entries.Count).Where(i => entries[i].Status == SweepTraceStatus.Completed && entries[i].ReplayTraceId is not null),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, _) =>
            {
                var original = await grains.GetGrain<ITraceGrain>(TraceKeys.For(project, entries[i].TraceId)).GetAsync();
                var replay = await grains.GetGrain<ITraceGrain>(TraceKeys.For(project, entries[i].ReplayTraceId!)).GetAsync();
                usage[i] = (UsageOf(original), UsageOf(replay));
            });

        var models = usage.OfType<(LlmUsage[]? Original, LlmUsage[]? Replay)>().SelectMany(u => (u.Original ?? []).Concat(u.Replay ?? [])).Select(u => u.Model ?? "")
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var prices = await grains.GetGrain<IModelCatalogGrain>(0).SnapshotAsync(models, at);
        var repriced = entries.ToArray();
        for (var i = 0; i < repriced.Length; i++)
        {
            if (usage[i] is var (original, replay))
            {
                repriced[i] = repriced[i] with { OriginalCost = CostOf(original), Cost = CostOf(replay) };
            }
        }

        return (repriced, prices);

        decimal? CostOf(LlmUsage[]? spans)
        {
            if (spans is null)
            {
                return null;
            }

            decimal? total = 0m;
            foreach (var span in spans)
            {
                total += prices.Find(span.Model)?.Cost(span.PromptTokens, span.CompletionTokens);
            }

            return total;
        }
    }

    private static LlmUsage[]? UsageOf(TraceData? trace) =>
        trace?.Spans.Where(s => s.Type == SpanType.Llm).Select(s => new LlmUsage(s.Model, s.PromptTokens, s.CompletionTokens)).ToArray();

    private readonly record struct LlmUsage(string? Model, int? PromptTokens, int? CompletionTokens);

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
