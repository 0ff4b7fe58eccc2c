namespace TraceReplay.Grains.Replays;

/// <summary>A move the replay state machine does not allow.</summary>
[GenerateSerializer]
public sealed class InvalidReplayTransitionException(ReplayStatus from, ReplayStatus to)
    : InvalidOperationException($"A replay cannot move from {from} to {to}.")
{
    [Id(0)] public ReplayStatus From { get; } = from;

    [Id(1)] public ReplayStatus To { get; } = to;
}

/// <summary>
/// The replay state machine, PENDING → RUNNING → COMPLETED or FAILED (a PENDING replay may also fail, e.g. when its
/// trace vanished). Every transition is timestamped; FAILED carries its reason.
/// </summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.ReplayLifecycle")]
public sealed record ReplayLifecycle(
    [property: Id(0)] ReplayStatus Status,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] DateTimeOffset? StartedAt = null,
    [property: Id(3)] DateTimeOffset? CompletedAt = null,
    [property: Id(4)] ReplayError? Error = null)
{
    public static ReplayLifecycle Created(DateTimeOffset at) => new(ReplayStatus.Pending, at);

    public bool IsFinished => Status is ReplayStatus.Completed or ReplayStatus.Failed;

    public ReplayLifecycle Start(DateTimeOffset at) => MoveTo(ReplayStatus.Running, at);

    public ReplayLifecycle Complete(DateTimeOffset at) => MoveTo(ReplayStatus.Completed, at);

    public ReplayLifecycle Fail(DateTimeOffset at, ReplayError error) => MoveTo(ReplayStatus.Failed, at) with { Error = error };

    private ReplayLifecycle MoveTo(ReplayStatus to, DateTimeOffset at) => (Status, to) switch
    {
        (ReplayStatus.Pending, ReplayStatus.Running) => this with { Status = to, StartedAt = at },
        (ReplayStatus.Pending, ReplayStatus.Failed) => this with { Status = to, CompletedAt = at },
        (ReplayStatus.Running, ReplayStatus.Completed) => this with { Status = to, CompletedAt = at },
        (ReplayStatus.Running, ReplayStatus.Failed) => this with { Status = to, CompletedAt = at },
        _ => throw new InvalidReplayTransitionException(Status, to),
    };
}
