namespace TraceReplay.Grains;

/// <summary>
/// Scores existing traces with one evaluator (key: backfill id): a bounded window of traces at a time, resumable after
/// a deactivation or a silo loss, with progress.
/// </summary>
[Alias("TraceReplay.IBackfillGrain")]
public interface IBackfillGrain : IGrainWithStringKey
{
    /// <summary>Records the backfill as PENDING and schedules its drive; returns at once. Repeating it changes nothing.</summary>
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
