namespace TraceReplay.Grains.Traces;

/// <summary>
/// One trace's row in the catalog: what lists and filters need, no payloads. <see cref="EvaluationsPending"/> is true
/// from the write that snapshots the trace's evaluators until their last score: what evaluation recovery scans for.
/// </summary>
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
    long? TotalTokens,
    decimal? TotalCost,
    int SpanCount,
    IReadOnlyList<string> Models,
    TraceLineage? ReplayOf,
    bool Simulated,
    DateTimeOffset CreatedAt,
    bool EvaluationsPending = false,
    bool Pinned = false)
{
    /// <summary>The row of <paramref name="trace"/>; pass the trace's evaluation status where the trace grain writes it.</summary>
    public static TraceCatalogRow From(TraceData trace, EvaluationStatus? evaluation = null)
    {
        var metrics = TraceMetrics.From(trace.Spans);
        return new TraceCatalogRow(
            trace.Id, trace.Project, TraceNames.DisplayName(trace), metrics.Status, trace.Tags, trace.MetadataJson,
            metrics.StartTime ?? trace.Timestamp, metrics.EndTime, metrics.DurationMs, metrics.TotalTokens,
            metrics.TotalCost, metrics.SpanCount, metrics.Models, trace.ReplayOf, metrics.Simulated, trace.CreatedAt,
            evaluation is { Pending.Count: > 0 });
    }
}

/// <summary>Filters of <c>GET /api/v1/traces</c> (2Signal's), newest first. Pinned: only traces with (true) or without (false) a pin.</summary>
public sealed record TraceQuery(
    string Project,
    int Limit = 50,
    string? Cursor = null,
    string? Name = null,
    SpanStatus? Status = null,
    IReadOnlyList<string>? Tags = null,
    DateTimeOffset? StartDate = null,
    DateTimeOffset? EndDate = null,
    bool? Pinned = null,
    bool? Replays = null);

/// <summary>Who holds pins: a pin by hand, or a sweep (its sources, replay traces and baseline's traces).</summary>
public static class PinHolders
{
    public const string Manual = "manual";

    public static string Sweep(string sweepId) => "sweep:" + sweepId;
}

/// <summary>A trace whose evaluations are pending, as evaluation recovery pages through them (oldest first).</summary>
public sealed record PendingEvaluation(string Project, string TraceId, DateTimeOffset CreatedAt);

/// <summary>One page of the catalog and the cursor of the next, null on the last page.</summary>
public sealed record TracePage(IReadOnlyList<TraceCatalogRow> Traces, string? NextCursor);

/// <summary>The only place that answers "which traces match this filter"; grains are never scanned.</summary>
public interface ITraceCatalog
{
    Task UpsertAsync(TraceCatalogRow row, CancellationToken cancellationToken = default);

    Task<TracePage> QueryAsync(TraceQuery query, CancellationToken cancellationToken = default);

    /// <summary>The project's rows of these trace ids, in no particular order; unknown ids are left out.</summary>
    Task<IReadOnlyList<TraceCatalogRow>> GetRowsAsync(string project, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default);

    /// <summary>Removes rows (retention purge); unknown ids are ignored.</summary>
    Task DeleteAsync(string project, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default);

    /// <summary>Clears the trace's <see cref="TraceCatalogRow.EvaluationsPending"/>; an unknown trace is ignored.</summary>
    Task MarkEvaluatedAsync(string project, string traceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> traces of every project with evaluations pending, created before
    /// <paramref name="createdBefore"/>, oldest first (then by project and id), starting after <paramref name="after"/>.
    /// </summary>
    Task<IReadOnlyList<PendingEvaluation>> PendingEvaluationsAsync(
        DateTimeOffset createdBefore, int limit, PendingEvaluation? after = null, CancellationToken cancellationToken = default);

    /// <summary>How many traces match the query's filters (its limit and cursor are ignored).</summary>
    Task<long> CountAsync(TraceQuery query, CancellationToken cancellationToken = default);

    /// <summary>Pins the traces for <paramref name="holder"/> (<see cref="PinHolders"/>); pinning again changes nothing.</summary>
    Task PinAsync(string project, string holder, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default);

    /// <summary>Releases <paramref name="holder"/>'s pins of the given traces, or all of its pins when null.</summary>
    Task UnpinAsync(string project, string holder, IReadOnlyCollection<string>? traceIds = null, CancellationToken cancellationToken = default);

    /// <summary>The project's pins: one per trace and holder, what <c>MaxPinnedTraces</c> caps.</summary>
    Task<long> CountPinsAsync(string project, CancellationToken cancellationToken = default);

    /// <summary>Who pins the trace, in ordinal order; empty when nothing does.</summary>
    Task<IReadOnlyList<string>> PinHoldersAsync(string project, string traceId, CancellationToken cancellationToken = default);
}

internal static class TraceNames
{
    /// <summary>The header's name, or the root span's while the trace-create event has not arrived.</summary>
    public static string DisplayName(TraceData trace) =>
        trace.HasHeader ? trace.Name : trace.Spans.FirstOrDefault(s => s.ParentSpanId is null)?.Name ?? trace.Name;
}
