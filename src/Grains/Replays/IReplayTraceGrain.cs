namespace TraceReplay.Grains.Replays;

/// <summary>
/// The new trace of a replay (key: its trace key, <see cref="ReplayTraceBuilder.TraceIdFor"/>) as that replay's
/// durable record (<see cref="ReplayRecord"/>). Silo-internal: only a ReplayGrain calls it.
/// </summary>
[Alias("TraceReplay.IReplayTraceGrain")]
public interface IReplayTraceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the trace and stores the replay's final state with it, in one write, and answers with that final state; a
    /// second call changes nothing but the catalog row, which it writes again, and answers with the state stored first.
    /// </summary>
    [Alias("CompleteReplayAsync")]
    Task<ReplaySnapshot> CompleteReplayAsync(TraceData trace, ReplayRecord record);

    /// <summary>
    /// Writes the catalog row again from the stored body, if there is one. The body and its row are written side by
    /// side: a silo lost between the two leaves a stored replay trace that no listing shows.
    /// </summary>
    [Alias("EnsureCatalogedAsync")]
    Task EnsureCatalogedAsync();

    /// <summary>The replay's record, or null when nothing was stored yet.</summary>
    [Alias("GetReplayRecordAsync"), AlwaysInterleave]
    Task<ReplayRecord?> GetReplayRecordAsync();
}
