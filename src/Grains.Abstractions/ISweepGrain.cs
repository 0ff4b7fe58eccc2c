namespace TraceReplay.Grains;

/// <summary>One regression sweep (key: sweep id): replays many traces with bounded in-flight work.</summary>
[Alias("TraceReplay.ISweepGrain")]
public interface ISweepGrain : IGrainWithStringKey
{
    /// <summary>
    /// Holds one page of a new sweep's targets (at most <see cref="SweepPages.Size"/>, the first at <paramref name="offset"/>)
    /// until <see cref="StartAsync"/> takes them, so no message grows with the sweep's size. A page already held, or any
    /// page once the sweep has started, changes nothing; a page that would leave a gap is refused.
    /// </summary>
    [Alias("StageTargetsAsync")]
    Task StageTargetsAsync(int offset, IReadOnlyList<SweepTarget> targets);

    /// <summary>
    /// Records the sweep as PENDING and schedules its drive; returns at once. Its entries are the
    /// <see cref="SweepDefinition.StagedTargets"/> targets staged before, then the definition's own (at most
    /// <see cref="SweepPages.Size"/>). Repeating it changes nothing.
    /// </summary>
    [Alias("StartAsync")]
    Task<SweepSnapshot> StartAsync(SweepDefinition definition);

    /// <summary>The sweep's progress, or null for an unknown id.</summary>
    [Alias("GetAsync"), AlwaysInterleave]
    Task<SweepSnapshot?> GetAsync();

    /// <summary>
    /// Up to <paramref name="count"/> (at most <see cref="SweepPages.Size"/>) of the sweep's traces from
    /// <paramref name="offset"/> on, each with its replay's outcome, and how many there are; null for an unknown id.
    /// </summary>
    [Alias("GetEntryPageAsync"), AlwaysInterleave]
    Task<SweepEntryPage?> GetEntriesAsync(int offset, int count);

    /// <summary>Starts no more replays; the ones in flight finish and are counted. A finished sweep is refused (409).</summary>
    [Alias("CancelAsync")]
    Task<SweepResult> CancelAsync();

    /// <summary>
    /// Deletes a finished sweep and releases its pins, so retention may purge its traces; an unfinished one is refused
    /// (409: cancel it first). Answers the sweep as it was.
    /// </summary>
    [Alias("DeleteAsync")]
    Task<SweepResult> DeleteAsync();

    /// <summary>
    /// A replay this sweep started reached COMPLETED or FAILED: the sweep records it and starts the next one. One-way, so
    /// the replay never waits on its sweep (no call cycle); repeating it, or a push that is lost, changes nothing — the
    /// sweep's safety poll reads the replays it has not heard from.
    /// </summary>
    [Alias("ReplayFinishedAsync"), OneWay]
    Task ReplayFinishedAsync(ReplaySnapshot replay);

    /// <summary>Queues the failed traces again and resumes the sweep. A cancelled sweep is refused (409).</summary>
    [Alias("RetryFailedAsync")]
    Task<SweepResult> RetryFailedAsync();
}
