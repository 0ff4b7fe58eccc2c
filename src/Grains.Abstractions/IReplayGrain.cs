namespace TraceReplay.Grains;

/// <summary>One replay (key: replay id): the PENDING → RUNNING → COMPLETED/FAILED state machine and span results.</summary>
[Alias("TraceReplay.IReplayGrain")]
public interface IReplayGrain : IGrainWithStringKey
{
    /// <summary>Records the replay as PENDING and schedules its run; returns at once. Repeating it changes nothing.</summary>
    [Alias("StartAsync")]
    Task<ReplaySnapshot> StartAsync(ReplayStart start);

    /// <summary>The replay's current state, or null for an unknown id.</summary>
    [Alias("GetAsync"), AlwaysInterleave]
    Task<ReplaySnapshot?> GetAsync();
}
