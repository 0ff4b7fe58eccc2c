namespace TraceReplay.Grains;

/// <summary>One trace (key: <see cref="TraceKeys.For"/> of project and trace id): its spans, and the history of its replays.</summary>
[Alias("TraceReplay.ITraceGrain")]
public interface ITraceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds a batch's header and spans; spans may come before the header and across batches. Without a batch id it is
    /// refused (nothing stored) when the trace would pass the spans-per-trace limit. With one it is a journaled batch,
    /// already accepted (<see cref="PrepareIngestAsync"/>): it is never refused, and a batch this trace applied before
    /// changes nothing.
    /// </summary>
    [Alias("IngestAsync")]
    Task<RequestError?> IngestAsync(TraceIngest ingest);

    /// <summary>
    /// The first step of a batch: refuses (the spans-per-trace limit, counting the batches prepared here and not applied
    /// yet) or holds room for the batch's spans (<paramref name="spanIds"/>: only their ids travel) until it is applied
    /// or released. Stores nothing. <paramref name="isNew"/>: the caller found no catalog row for the trace, so the trace
    /// is taken as new and not read (its apply inserts it, or reads it when it is stored after all).
    /// </summary>
    [Alias("PrepareSpansAsync")]
    Task<RequestError?> PrepareIngestAsync(string batchId, string[] spanIds, bool isNew = false);

    /// <summary>Gives back the room a prepared batch held: the batch was refused before it was journaled.</summary>
    [Alias("ReleaseIngestAsync"), OneWay]
    Task ReleaseIngestAsync(string batchId);

    /// <summary>The trace, or null when nothing was ingested under this id.</summary>
    [Alias("GetAsync"), AlwaysInterleave]
    Task<TraceData?> GetAsync();

    /// <summary>
    /// The one admission call: validates the overrides, plans the replay once, takes a slot of the project's replays in
    /// flight when <paramref name="inFlightLimit"/> is given (refused with LimitExceeded when all are taken), records
    /// a PENDING replay and starts it; returns at once. With a <paramref name="supervisor"/> (a sweep) the replay gets
    /// the supervisor's id, and starting it again is harmless: the same replay answers.
    /// </summary>
    [Alias("StartReplayAsync")]
    Task<ReplayStartResult> StartReplayAsync(ReplayOverrides overrides, ReplaySupervisor? supervisor = null, int? inFlightLimit = null);

    /// <summary>The replay history, newest first.</summary>
    [Alias("GetReplaysAsync"), AlwaysInterleave]
    Task<IReadOnlyList<ReplaySnapshot>> GetReplaysAsync();

    /// <summary>A replay of this trace reports its latest state for the history.</summary>
    [Alias("RecordReplayAsync")]
    Task RecordReplayAsync(ReplaySnapshot replay);

    /// <summary>Retention: drops the trace's spans, history and scores, keeping only the fact that it was purged.</summary>
    [Alias("PurgeAsync")]
    Task PurgeAsync();

    /// <summary>Records a score; one with the same evaluator, version and span replaces the earlier one.</summary>
    [Alias("AddScoreAsync")]
    Task AddScoreAsync(TraceScore score);

    /// <summary>Every score of this trace.</summary>
    [Alias("GetScoresAsync"), AlwaysInterleave]
    Task<IReadOnlyList<TraceScore>> GetScoresAsync();

    /// <summary>The evaluators this trace was created with and those still waiting for a score.</summary>
    [Alias("GetEvaluationStatusAsync"), AlwaysInterleave]
    Task<EvaluationStatus> GetEvaluationStatusAsync();

    /// <summary>
    /// Evaluation recovery: starts the evaluators still pending (again); with none pending, clears the catalog row's
    /// pending flag instead.
    /// </summary>
    [Alias("RedriveEvaluationsAsync")]
    Task RedriveEvaluationsAsync();

    /// <summary>
    /// Backfill and sweeps with <c>scoreOriginals</c>: makes each evaluator this trace has no score from (at its version)
    /// pending, persisted with the catalog's pending flag, and starts the trace's EvaluationGrain. Repeating it changes nothing.
    /// </summary>
    [Alias("RequestEvaluationsAsync")]
    Task<EvaluationRequestOutcome> RequestEvaluationsAsync(IReadOnlyList<EvaluatorDefinition> evaluators);
}
