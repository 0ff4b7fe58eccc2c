namespace TraceReplay.Grains;

/// <summary>One replay (key: replay id): the PENDING → RUNNING → COMPLETED/FAILED state machine and span results.</summary>
[Alias("TraceReplay.IReplayGrain")]
public interface IReplayGrain : IGrainWithStringKey
{
    /// <summary>
    /// Plans the replay from the trace it is handed, validates the plan, takes the project's quota slot when a limit is
    /// given, records the replay as PENDING and schedules its run; returns at once, or why it was refused (nothing is
    /// stored then). Repeating it for a replay that exists changes nothing and answers with that replay.
    /// </summary>
    [Alias("StartAsync")]
    Task<ReplayStartResult> StartAsync(ReplayStart start);

    /// <summary>The replay's current state, or null for an unknown id.</summary>
    [Alias("GetAsync"), AlwaysInterleave]
    Task<ReplaySnapshot?> GetAsync();
}
