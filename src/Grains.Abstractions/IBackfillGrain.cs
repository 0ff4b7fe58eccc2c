namespace TraceReplay.Grains;

/// <summary>
/// Scores existing traces with one evaluator (key: backfill id): a bounded window of traces at a time, resumable after
/// a deactivation or a silo loss, with progress.
/// </summary>
[Alias("TraceReplay.IBackfillGrain")]
public interface IBackfillGrain : IGrainWithStringKey
{
    /// <summary>
    /// Holds a page of at most <see cref="SweepPages.Size"/> trace ids, at <paramref name="offset"/>, in the activation
    /// until <see cref="StartAsync"/> (<see cref="BackfillPages.StartInPagesAsync"/> does both). A page held already, or
    /// a backfill started already, changes nothing.
    /// </summary>
    [Alias("StageTracesAsync")]
    Task StageTracesAsync(int offset, IReadOnlyList<string> traceIds);

    /// <summary>
    /// Records the backfill as PENDING over the staged trace ids (<see cref="BackfillDefinition.StagedTraces"/> of
    /// them) and the definition's own, and schedules its drive; returns at once. Repeating it changes nothing.
    /// </summary>
    [Alias("StartAsync")]
    Task<BackfillSnapshot> StartAsync(BackfillDefinition definition);

    /// <summary>
    /// Asks no more traces; the ones being scored finish and are counted. Refused for an unknown id (404) and for a
    /// backfill that already ended (409).
    /// </summary>
    [Alias("CancelAsync")]
    Task<BackfillResult> CancelAsync();

    /// <summary>The backfill's progress, or null for an unknown id.</summary>
    [Alias("GetAsync"), AlwaysInterleave]
    Task<BackfillSnapshot?> GetAsync();
}
