namespace TraceReplay.Grains;

/// <summary>A backfill's lifecycle: PENDING → RUNNING → COMPLETED, or CANCELLED from PENDING or RUNNING.</summary>
public enum BackfillStatus
{
    Pending = 0,
    Running = 1,
    Completed = 2,

    /// <summary>Cancelled by request: no more traces are asked; the ones being scored finish and are counted.</summary>
    Cancelled = 3,
}

/// <summary>Where one trace of a backfill stands.</summary>
public enum BackfillTraceStatus
{
    Queued = 0,
    Scoring = 1,
    Scored = 2,
    Skipped = 3,
}

/// <summary>What a trace answers when asked to be scored by evaluators it may not have run.</summary>
public enum EvaluationRequestOutcome
{
    /// <summary>At least one of the evaluators is now pending on the trace; its EvaluationGrain was started.</summary>
    Started = 0,

    /// <summary>The trace already has a score from each evaluator at its version.</summary>
    AlreadyScored = 1,

    /// <summary>No such trace, or it was purged.</summary>
    NotFound = 2,

    /// <summary>The trace has no header or root span yet, so it is not scored at all.</summary>
    NotCreated = 3,
}

/// <summary>Everything a new backfill needs: the evaluator (snapshotted at its current version) and the resolved traces.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.BackfillDefinition")]
public sealed record BackfillDefinition(
    [property: Id(0)] string Project,
    [property: Id(1)] EvaluatorDefinition Evaluator,
    [property: Id(2)] IReadOnlyList<string> TraceIds,
    [property: Id(3)] string FilterDescription,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] int StagedTraces = 0);

/// <summary>
/// A backfill's trace ids cross the wire in pages of <see cref="SweepPages.Size"/>, as a sweep's targets do, so no
/// grain message grows with the backfill's size (up to 100,000 traces).
/// </summary>
public static class BackfillPages
{
    /// <summary>Stages the definition's trace ids page by page, then starts the backfill with them.</summary>
    public static async Task<BackfillSnapshot> StartInPagesAsync(this IBackfillGrain backfill, BackfillDefinition definition)
    {
        var ids = definition.TraceIds;
        for (var offset = 0; offset < ids.Count; offset += SweepPages.Size)
        {
            await backfill.StageTracesAsync(offset, [.. ids.Skip(offset).Take(SweepPages.Size)]);
        }

        return await backfill.StartAsync(definition with { TraceIds = [], StagedTraces = ids.Count });
    }
}

/// <summary>How many traces of a backfill are in each state.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.BackfillCounts")]
public sealed record BackfillCounts(
    [property: Id(0)] int Total,
    [property: Id(1)] int Queued,
    [property: Id(2)] int Scoring,
    [property: Id(3)] int Scored,
    [property: Id(4)] int Skipped);

/// <summary>A backfill as clients see it while it runs and after.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.BackfillSnapshot")]
public sealed record BackfillSnapshot(
    [property: Id(0)] string Id,
    [property: Id(1)] string Project,
    [property: Id(2)] string EvaluatorId,
    [property: Id(3)] string EvaluatorName,
    [property: Id(4)] int EvaluatorVersion,
    [property: Id(5)] BackfillStatus Status,
    [property: Id(6)] string FilterDescription,
    [property: Id(7)] BackfillCounts Counts,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] DateTimeOffset? CompletedAt);

/// <summary>A backfill, or why a request about it was refused.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.BackfillResult")]
public sealed record BackfillResult(
    [property: Id(0)] BackfillSnapshot? Backfill,
    [property: Id(1)] RequestError? Error)
{
    public static BackfillResult Refused(ErrorKind kind, string message) => new(null, new RequestError(kind, message));
}

/// <summary>One trace of a backfill, compact.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.BackfillEntry")]
public sealed record BackfillEntry(
    [property: Id(0)] string TraceId,
    [property: Id(1)] BackfillTraceStatus Status,
    [property: Id(2)] string? Reason = null);
