namespace TraceReplay.Grains.Traces;

/// <summary>A trace's persisted state: the trace and its replay history (summaries, newest first).</summary>
[GenerateSerializer, Alias("TraceReplay.TraceState")]
public sealed class TraceState
{
    [Id(0)] public TraceData? Trace { get; set; }

    [Id(1)] public List<ReplaySnapshot> Replays { get; set; } = [];

    [Id(2)] public List<TraceScore> Scores { get; set; } = [];

    /// <summary>The evaluators snapshotted when the trace counted as created; null until then.</summary>
    [Id(3)] public EvaluationStatus? Evaluation { get; set; }

    /// <summary>When retention purged the trace: its spans, history and scores are gone, this mark stays.</summary>
    [Id(4)] public DateTimeOffset? PurgedAt { get; set; }

    /// <summary>Message content (GenAI log records) whose span has not arrived yet; bounded in count and age.</summary>
    [Id(5)] public List<SpanContent> PendingContents { get; set; } = [];

    /// <summary>Spans whose input came from log records: later records for them append messages.</summary>
    [Id(6)] public HashSet<string> ContentFromLogs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The ids of the latest journaled batches applied here, oldest first, at most
    /// <see cref="TraceGrain.RememberedBatches"/>: a batch the journal delivers again is not applied twice.
    /// </summary>
    [Id(7)] public List<string> AppliedBatches { get; set; } = [];
}
