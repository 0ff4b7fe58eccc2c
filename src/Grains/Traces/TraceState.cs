using TraceReplay.Grains.Replays;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// A trace's body: the trace as ingested or created by a replay, and what ingestion keeps alongside it. Written by
/// ingestion, a replay's create and retention only; what happens to the trace later lives in <see cref="TraceActivity"/>,
/// so recording a replay or a score never rewrites the spans.
/// </summary>
[GenerateSerializer, Alias("TraceReplay.TraceState")]
public sealed class TraceState
{
    [Id(0)] public TraceData? Trace { get; set; }

    /// <summary>Before the split: the replay history, now in <see cref="TraceActivity.Replays"/>; moved there on activation.</summary>
    [Id(1)] public List<ReplaySnapshot> LegacyReplays { get; set; } = [];

    /// <summary>Before the split: the scores, now in <see cref="TraceActivity.Scores"/>; moved there on activation.</summary>
    [Id(2)] public List<TraceScore> LegacyScores { get; set; } = [];

    /// <summary>
    /// The evaluators snapshotted when the trace counted as created, written with the trace; null until then. Later
    /// changes (scores, evaluators requested afterwards) are kept in <see cref="TraceActivity.Evaluation"/>.
    /// </summary>
    [Id(3)] public EvaluationStatus? Evaluation { get; set; }

    /// <summary>Before the split: the purge mark, now in <see cref="TraceActivity.PurgedAt"/>; moved there on activation.</summary>
    [Id(4)] public DateTimeOffset? LegacyPurgedAt { get; set; }

    /// <summary>Message content (GenAI log records) whose span has not arrived yet; bounded in count and age.</summary>
    [Id(5)] public List<SpanContent> PendingContents { get; set; } = [];

    /// <summary>Spans whose input came from log records: later records for them append messages.</summary>
    [Id(6)] public HashSet<string> ContentFromLogs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The ids of the latest journaled batches applied here, oldest first, at most
    /// <see cref="TraceGrain.RememberedBatches"/>: a batch the journal delivers again is not applied twice.
    /// </summary>
    [Id(7)] public List<string> AppliedBatches { get; set; } = [];

    /// <summary>
    /// For a replay's new trace: that replay's record (its final state, written with the trace). Null for an ingested
    /// trace.
    /// </summary>
    [Id(8)] public ReplayRecord? Replay { get; set; }

    /// <summary>Whether the state holds anything of the time before the split (a trace written by an earlier version).</summary>
    public bool HasLegacyActivity => LegacyReplays.Count > 0 || LegacyScores.Count > 0 || LegacyPurgedAt is not null;
}

/// <summary>
/// What happens to a trace after it is created: its replay history (summaries, newest first, the newest
/// <see cref="TraceActivity.MaxInlineReplays"/>), its scores, its evaluation status once it changed, and the purge mark.
/// Small, and written on its own: a replay or a score never rewrites the trace's spans.
/// </summary>
[GenerateSerializer, Alias("TraceReplay.TraceActivity")]
public sealed class TraceActivity
{
    /// <summary>
    /// How many replay summaries a trace keeps; older replays stay readable by id (their ReplayGrain) and in their sweep.
    /// </summary>
    public const int MaxInlineReplays = 200;

    [Id(0)] public List<ReplaySnapshot> Replays { get; set; } = [];

    [Id(1)] public List<TraceScore> Scores { get; set; } = [];

    /// <summary>The evaluation status once a score or a request changed it; until then the body's creation snapshot holds.</summary>
    [Id(2)] public EvaluationStatus? Evaluation { get; set; }

    /// <summary>When retention purged the trace: its spans, history and scores are gone, this mark stays.</summary>
    [Id(3)] public DateTimeOffset? PurgedAt { get; set; }

    /// <summary>Adds or replaces a summary, newest first, keeping the newest <see cref="MaxInlineReplays"/>.</summary>
    public void KeepReplay(ReplaySnapshot replay)
    {
        Replays.RemoveAll(r => r.Id == replay.Id);
        var at = Replays.FindIndex(r => r.CreatedAt <= replay.CreatedAt);
        Replays.Insert(at < 0 ? Replays.Count : at, replay);
        if (Replays.Count > MaxInlineReplays)
        {
            Replays.RemoveRange(MaxInlineReplays, Replays.Count - MaxInlineReplays);
        }
    }
}
