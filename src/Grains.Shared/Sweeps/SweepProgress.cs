namespace TraceReplay.Grains.Sweeps;

/// <summary>What a sweep's counts say about the time it still needs.</summary>
public static class SweepProgress
{
    /// <summary>
    /// The time left for a running sweep at the pace so far (elapsed time per recorded trace, times the traces still
    /// queued or running); null when it is not running or nothing is recorded yet.
    /// </summary>
    public static TimeSpan? EstimatedTimeRemaining(SweepStatus status, DateTimeOffset? startedAt, DateTimeOffset now, SweepCounts counts)
    {
        var recorded = counts.Completed + counts.Failed;
        if (status != SweepStatus.Running || startedAt is not { } started || recorded == 0)
        {
            return null;
        }

        return (now - started) / recorded * (counts.Queued + counts.Running);
    }

    /// <summary>The snapshot with its time left as of <paramref name="now"/> rather than as of when it was published.</summary>
    public static SweepSnapshot AsOf(this SweepSnapshot sweep, DateTimeOffset now) =>
        sweep with { EstimatedTimeRemaining = EstimatedTimeRemaining(sweep.Status, sweep.StartedAt, now, sweep.Counts) };
}
