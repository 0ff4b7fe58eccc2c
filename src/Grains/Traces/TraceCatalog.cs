namespace TraceReplay.Grains.Traces;

/// <summary>One trace's row in the catalog: what lists and filters need, no payloads.</summary>
public sealed record TraceCatalogRow(
    string Id,
    string Project,
    string Name,
    SpanStatus Status,
    IReadOnlyList<string> Tags,
    string? MetadataJson,
    DateTimeOffset Timestamp,
    DateTimeOffset? EndTime,
    double? DurationMs,
    long TotalTokens,
    decimal? TotalCost,
    int SpanCount,
    IReadOnlyList<string> Models,
    TraceLineage? ReplayOf,
    bool Simulated,
    DateTimeOffset CreatedAt)
{
    public static TraceCatalogRow From(TraceData trace)
    {
        var metrics = TraceMetrics.From(trace.Spans);
        return new TraceCatalogRow(
            trace.Id, trace.Project, TraceNames.DisplayName(trace), metrics.Status, trace.Tags, trace.MetadataJson,
            metrics.StartTime ?? trace.Timestamp, metrics.EndTime, metrics.DurationMs, metrics.TotalTokens,
            metrics.TotalCost, metrics.SpanCount, metrics.Models, trace.ReplayOf, metrics.Simulated, trace.CreatedAt);
    }
}

/// <summary>Filters of <c>GET /api/v1/traces</c> (2Signal's), newest first.</summary>
public sealed record TraceQuery(
    string Project,
    int Limit = 50,
    string? Cursor = null,
    string? Name = null,
    SpanStatus? Status = null,
    IReadOnlyList<string>? Tags = null,
    DateTimeOffset? StartDate = null,
    DateTimeOffset? EndDate = null);

/// <summary>One page of the catalog and the cursor of the next, null on the last page.</summary>
public sealed record TracePage(IReadOnlyList<TraceCatalogRow> Traces, string? NextCursor);

/// <summary>The only place that answers "which traces match this filter"; grains are never scanned.</summary>
public interface ITraceCatalog
{
    Task UpsertAsync(TraceCatalogRow row, CancellationToken cancellationToken = default);

    Task<TracePage> QueryAsync(TraceQuery query, CancellationToken cancellationToken = default);

    /// <summary>Removes rows (retention purge); unknown ids are ignored.</summary>
    Task DeleteAsync(string project, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default);
}

internal static class TraceNames
{
    /// <summary>The header's name, or the root span's while the trace-create event has not arrived.</summary>
    public static string DisplayName(TraceData trace) =>
        trace.HasHeader ? trace.Name : trace.Spans.FirstOrDefault(s => s.ParentSpanId is null)?.Name ?? trace.Name;
}
