namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// A sweep's persisted head: its definition (without the target list, which lives on as the entries), its status and
/// how many entries it has. The entries — one compact record per trace — are stored apart in fixed-size chunks
/// (<see cref="SweepChunkStore"/>), so a checkpoint writes the chunks that changed, not the whole list. Scores and
/// payloads are read from the traces when results are asked for.
/// </summary>
[GenerateSerializer, Alias("TraceReplay.SweepState")]
public sealed class SweepState
{
    [Id(0)] public SweepDefinition? Definition { get; set; }

    [Id(1)] public SweepStatus Status { get; set; }

    [Id(2)] public DateTimeOffset? StartedAt { get; set; }

    [Id(3)] public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Only in sweeps stored before entries were chunked: moved to chunks by the next checkpoint.</summary>
    [Id(4)] public List<SweepEntry> Entries { get; set; } = [];

    /// <summary>The in-flight bound in force: the request's, or the cluster's pool size when the drive began.</summary>
    [Id(5)] public int MaxInFlight { get; set; }

    [Id(6)] public string? StopReason { get; set; }

    /// <summary>Whether the sweep's sources and its baseline's traces are pinned (replay traces are pinned as recorded).</summary>
    [Id(7)] public bool SourcesPinned { get; set; }

    /// <summary>The number of entries, stored in <see cref="SweepWindow.ChunkCount"/> chunks.</summary>
    [Id(8)] public int EntryCount { get; set; }
}

/// <summary>The sweep state machine's legal moves.</summary>
public static class SweepLifecycle
{
    public static bool IsFinished(SweepStatus status) =>
        status is SweepStatus.Completed or SweepStatus.Cancelled or SweepStatus.Failed or SweepStatus.BudgetExceeded;

    /// <summary>The status a drive may move to, or throws for a move the machine does not allow.</summary>
    public static SweepStatus Move(SweepStatus from, SweepStatus to) => (from, to) switch
    {
        (SweepStatus.Pending, SweepStatus.Running) => to,
        (SweepStatus.Pending or SweepStatus.Running, SweepStatus.Cancelled) => to,
        (SweepStatus.Running, SweepStatus.Completed or SweepStatus.Failed or SweepStatus.BudgetExceeded) => to,
        (SweepStatus.Completed or SweepStatus.Failed or SweepStatus.BudgetExceeded, SweepStatus.Running) => to,
        _ => throw new InvalidOperationException($"A sweep cannot move from {from} to {to}."),
    };
}
