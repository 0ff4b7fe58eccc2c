using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Sweeps;

/// <summary>Which traces a sweep replays: explicit ids, or catalog filters (as <c>GET /traces</c>) up to a limit.</summary>
public sealed record SweepFilter(
    IReadOnlyList<string>? TraceIds,
    string? Name,
    IReadOnlyList<string>? Tags,
    SpanStatus? Status,
    DateTimeOffset? StartDate,
    DateTimeOffset? EndDate,
    int Limit)
{
    /// <summary>The most traces one sweep may replay.</summary>
    public const int MaxTraces = 100_000;

    public string Describe()
    {
        if (TraceIds is not null)
        {
            return $"traceIds ({TraceIds.Count})";
        }

        var parts = new List<string>();
        if (Name is not null)
        {
            parts.Add($"name~{Name}");
        }

        if (Tags is { Count: > 0 })
        {
            parts.AddRange(Tags.Select(t => $"tag={t}"));
        }

        if (Status is not null)
        {
            parts.Add($"status={Status.ToString()!.ToUpperInvariant()}");
        }

        if (StartDate is not null)
        {
            parts.Add($"from {StartDate:O}");
        }

        if (EndDate is not null)
        {
            parts.Add($"to {EndDate:O}");
        }

        parts.Add($"limit {Limit}");
        return string.Join(", ", parts);
    }
}

/// <summary>
/// Turns a sweep filter into traces. Filters are answered by the catalog alone (grains are never scanned), and replay
/// traces are left out: a sweep replays recordings, not earlier replays.
/// </summary>
public static class SweepTraceResolver
{
    private const int PageSize = 500;
    private const int ParallelReads = 64;

    /// <summary>The matching traces, newest first, each once; or the error naming the field. Replays only when asked (a backfill).</summary>
    public static async Task<(IReadOnlyList<SweepTarget> Targets, string? Error)> ResolveAsync(
        SweepFilter filter, string project, ITraceCatalog catalog, IGrainFactory grains, CancellationToken cancellationToken = default,
        bool includeReplays = false)
    {
        if (filter.TraceIds is { } ids)
        {
            var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
            var traces = new TraceData?[distinct.Count];

            // A bounded number of reads at a time: 100,000 at once would queue past the 30 s response timeout.
            await Parallel.ForAsync(0, distinct.Count, new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
                async (i, _) => traces[i] = await grains.GetGrain<ITraceGrain>(TraceKeys.For(project, distinct[i])).GetAsync());
            var missing = distinct.Where((_, i) => traces[i] is null || traces[i]!.Project != project).ToList();
            if (missing.Count > 0)
            {
                return ([], $"filter.traceIds: trace '{missing[0]}' not found.");
            }

            return ([.. traces.Select(t => TraceCatalogRow.From(t!)).Select(ToTarget)], null);
        }

        var targets = new List<SweepTarget>();
        string? cursor = null;
        do
        {
            var page = await catalog.QueryAsync(
                new TraceQuery(project, PageSize, cursor, filter.Name, filter.Status, filter.Tags, filter.StartDate, filter.EndDate),
                cancellationToken);
            targets.AddRange(page.Traces.Where(r => includeReplays || r.ReplayOf is null).Select(ToTarget));
            cursor = page.NextCursor;
        }
        while (cursor is not null && targets.Count < filter.Limit);

        return ([.. targets.Take(filter.Limit)], null);
    }

    private static SweepTarget ToTarget(TraceCatalogRow row) => new(row.Id, row.Name, row.Timestamp, row.TotalCost, row.DurationMs, row.Models);
}
