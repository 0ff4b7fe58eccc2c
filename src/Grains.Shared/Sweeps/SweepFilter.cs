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
    private const int IdsPerRead = 1_000;

    /// <summary>The matching traces, newest first, each once; or the error naming the field. Replays only when asked (a backfill).</summary>
    public static async Task<(IReadOnlyList<SweepTarget> Targets, string? Error)> ResolveAsync(
        SweepFilter filter, string project, ITraceCatalog catalog, CancellationToken cancellationToken = default,
        bool includeReplays = false)
    {
        if (filter.TraceIds is { } ids)
        {
            // Read from the catalog a page at a time: resolving a 100,000-trace sweep activates no trace grain.
            var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
            var rows = new Dictionary<string, TraceCatalogRow>(distinct.Count, StringComparer.Ordinal);
            foreach (var page in distinct.Chunk(IdsPerRead))
            {
                foreach (var row in await catalog.GetRowsAsync(project, page, cancellationToken))
                {
                    rows[row.Id] = row;
                }
            }

            var missing = distinct.FirstOrDefault(id => !rows.ContainsKey(id));
            if (missing is not null)
            {
                return ([], $"filter.traceIds: trace '{missing}' not found.");
            }

            return ([.. distinct.Select(id => ToTarget(rows[id]))], null);
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
