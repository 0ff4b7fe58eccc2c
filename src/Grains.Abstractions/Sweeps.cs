namespace TraceReplay.Grains;

/// <summary>A sweep's lifecycle: PENDING → RUNNING → COMPLETED, CANCELLED, FAILED or BUDGET_EXCEEDED.</summary>
public enum SweepStatus
{
    Pending = 0,
    Running = 1,
    Completed = 2,
    Cancelled = 3,
    Failed = 4,
    BudgetExceeded = 5,
}

/// <summary>Where one trace of a sweep stands.</summary>
public enum SweepTraceStatus
{
    Queued = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
    Skipped = 4,
}

/// <summary>One trace a sweep replays, as the catalog listed it, with its recorded cost and duration.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepTarget(
    [property: Id(0)] string TraceId,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset Timestamp,
    [property: Id(3)] decimal? Cost,
    [property: Id(4)] double? DurationMs,
    [property: Id(5)] IReadOnlyList<string>? Models = null);

/// <summary>Everything a new sweep needs; the traces are already resolved from the filter.</summary>
/// <param name="MaxInFlight">Replays running at once; null sizes it to the cluster's LLM pools.</param>
/// <param name="BudgetUsd">A hard cap: each replay's cost is reserved (with a margin, its answers bounded) before it starts, and none starts whose reservation would take spend past this.</param>
/// <param name="RegressionThreshold">A trace regressed when an evaluator's score dropped by at least this much.</param>
/// <param name="BaselineSweepId">A sweep without overrides whose differences measure run-to-run noise.</param>
/// <param name="Prices">The prices of the models the sweep replays with, as of its creation: its estimates and replays use them.</param>
/// <param name="ScoreOriginals">Before each replay starts, its original is scored by every enabled evaluator it has no score from.</param>
/// <param name="StagedTargets">How many targets were staged with <see cref="ISweepGrain.StageTargetsAsync"/>; they come before <paramref name="Targets"/>.</param>
[GenerateSerializer, Immutable]
public sealed record SweepDefinition(
    [property: Id(0)] string Name,
    [property: Id(1)] string Project,
    [property: Id(2)] IReadOnlyList<SweepTarget> Targets,
    [property: Id(3)] ReplayOverrides Overrides,
    [property: Id(4)] int? MaxInFlight,
    [property: Id(5)] decimal? BudgetUsd,
    [property: Id(6)] double RegressionThreshold,
    [property: Id(7)] string? BaselineSweepId,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] string FilterDescription,
    [property: Id(10)] PriceSnapshot? Prices = null,
    [property: Id(11)] bool ScoreOriginals = false,
    [property: Id(12)] int StagedTargets = 0);

/// <summary>How many traces of a sweep are in each state.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepCounts(
    [property: Id(0)] int Total,
    [property: Id(1)] int Queued,
    [property: Id(2)] int Running,
    [property: Id(3)] int Completed,
    [property: Id(4)] int Failed,
    [property: Id(5)] int Skipped);

/// <summary>A sweep as clients see it while it runs and after.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepSnapshot(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] SweepStatus Status,
    [property: Id(3)] ReplayOverrides Overrides,
    [property: Id(4)] string FilterDescription,
    [property: Id(5)] int MaxInFlight,
    [property: Id(6)] decimal? BudgetUsd,
    [property: Id(7)] double RegressionThreshold,
    [property: Id(8)] string? BaselineSweepId,
    [property: Id(9)] SweepCounts Counts,
    [property: Id(10)] decimal SpendUsd,
    [property: Id(11)] DateTimeOffset CreatedAt,
    [property: Id(12)] DateTimeOffset? StartedAt,
    [property: Id(13)] DateTimeOffset? CompletedAt,
    [property: Id(14)] TimeSpan? EstimatedTimeRemaining,
    [property: Id(15)] string? StopReason,
    [property: Id(16)] string Project = TraceReplayNames.DefaultProject,
    [property: Id(17)] PriceSnapshot? Prices = null);

/// <summary>
/// One trace of a sweep, compact: what was started, how it ended, and the recorded and replayed cost and duration.
/// Scores and payloads stay with the traces.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SweepEntry(
    [property: Id(0)] string TraceId,
    [property: Id(1)] string TraceName,
    [property: Id(2)] DateTimeOffset TraceTimestamp,
    [property: Id(3)] SweepTraceStatus Status,
    [property: Id(4)] string? ReplayId = null,
    [property: Id(5)] string? ReplayTraceId = null,
    [property: Id(6)] decimal? EstimatedCost = null,
    [property: Id(7)] decimal? Cost = null,
    [property: Id(8)] double? DurationMs = null,
    [property: Id(9)] string? Error = null,
    [property: Id(10)] int Attempts = 0,
    [property: Id(12)] decimal? OriginalCost = null,
    [property: Id(13)] double? OriginalDurationMs = null,
    [property: Id(14)] ReplayDecisions? Decisions = null,
    [property: Id(15)] ReplayDivergence? Divergence = null);

/// <summary>A page of a sweep's entries, and how many entries the sweep has.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepEntryPage(
    [property: Id(0)] IReadOnlyList<SweepEntry> Entries,
    [property: Id(1)] int Total);

/// <summary>Either the sweep's state or why a request about it was refused.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepResult(
    [property: Id(0)] SweepSnapshot? Sweep,
    [property: Id(1)] RequestError? Error)
{
    public static SweepResult Refused(ErrorKind kind, string message) => new(null, new RequestError(kind, message));
}
