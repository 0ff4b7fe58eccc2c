namespace TraceReplay.Grains.Replays;

/// <summary>
/// A replay's state: its lifecycle, what it replays, and the result of every finished LLM call. Written at admission
/// (PENDING) and when the replay fails; its results and its completion are stored in its new trace's body instead
/// (<see cref="ReplayRecord"/>), from which an activation of a replay stored unfinished recovers them. The source
/// trace and the requests are not copied here: the admission hands them over in memory, and a replay that resumes after
/// a crash or a deactivation re-reads the trace and plans again.
/// </summary>
[GenerateSerializer, Alias("TraceReplay.ReplayState")]
public sealed class ReplayState
{
    [Id(0)] public string? SourceTraceId { get; set; }

    [Id(1)] public ReplayOverrides Overrides { get; set; } = ReplayOverrides.None;

    [Id(2)] public ReplayLifecycle? Lifecycle { get; set; }

    [Id(3)] public int TotalSpans { get; set; }

    [Id(4)] public OverrideCounts OverridesApplied { get; set; } = new(0, 0, 0);

    [Id(5)] public Dictionary<string, SpanResult> Results { get; set; } = new(StringComparer.Ordinal);

    [Id(6)] public string? ReplayTraceId { get; set; }

    [Id(7)] public ReplayResultSummary? Result { get; set; }

    /// <summary>
    /// Whether the source trace has recorded this replay's final state in its history. Stored for a failed replay only;
    /// for a completed one it is derived when it is activated again (see <see cref="ReplayRecord"/>).
    /// </summary>
    [Id(8)] public bool OriginNotified { get; set; }

    /// <summary>LLM spans marked not replayable, copied as recorded.</summary>
    [Id(9)] public IReadOnlyList<SkippedSpan> SkippedSpans { get; set; } = [];

    /// <summary>Where a chained replay left the recorded path, once it has.</summary>
    [Id(10)] public ReplayDivergence? Divergence { get; set; }

    /// <summary>How many replayed LLM spans decided as the recording did; set when the replay completes.</summary>
    [Id(11)] public ReplayDecisions? Decisions { get; set; }

    /// <summary>The W3C traceparent of the call that started the replay: each drive continues that trace.</summary>
    [Id(12)] public string? TriggerTraceParent { get; set; }

    /// <summary>The project of the source trace; null in state written before projects, meaning the default one.</summary>
    [Id(13)] public string? Project { get; set; }

    /// <summary>
    /// The sweep that started this replay and polls it, or null. A supervised replay registers no reminder: the
    /// sweep's polls re-activate and re-drive it (<see cref="ReplayGrain.GetAsync"/>), and the sweep has its own reminder.
    /// </summary>
    [Id(14)] public string? SupervisedBy { get; set; }

    /// <summary>The sweep's price snapshot: its models' calls are priced from it rather than from the table.</summary>
    [Id(15)] public PriceSnapshot? SweepPrices { get; set; }

    /// <summary>Each price the replay's calls were charged at, stored with the results they priced.</summary>
    [Id(16)] public List<DatedPrice> PricesUsed { get; set; } = [];

    /// <summary>A budgeted sweep's bound on each call's answer, as a multiple of its recorded completion tokens.</summary>
    [Id(17)] public double? CompletionTokenMargin { get; set; }

    /// <summary>Whether the admission took a slot of the project's in-flight limit: a resumed replay takes it again.</summary>
    [Id(18)] public bool HoldsQuotaSlot { get; set; }
}
