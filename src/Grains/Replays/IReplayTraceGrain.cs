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

    /// <summary>The replay's record, or null when nothing was stored yet.</summary>
    [Alias("GetReplayRecordAsync"), AlwaysInterleave]
    Task<ReplayRecord?> GetReplayRecordAsync();
}
