namespace TraceReplay.Grains;

/// <summary>The replay state machine: PENDING → RUNNING → COMPLETED or FAILED.</summary>
public enum ReplayStatus
{
    Pending = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
}

/// <summary>
/// How a replay's LLM spans relate. ISOLATED re-runs each span with its recorded input; CHAINED re-runs them in causal
/// order, each later span's history rebuilt from the replay, tool calls answered from the recording.
/// </summary>
public enum ReplayMode
{
    Isolated = 0,
    Chained = 1,
}

/// <summary>
/// How a chained replay answers the new model's tool calls from the recording. STRICT: a recorded call of the same tool
/// with JSON-equal arguments. FIFO: the next recorded result of that tool, whatever the arguments.
/// </summary>
public enum ToolMatching
{
    Strict = 0,
    Fifo = 1,
}

/// <summary>What a replay changes, and how it replays. Null fields keep what was recorded.</summary>
/// <param name="Model">Replaces the model of every LLM span.</param>
/// <param name="PromptTemplateVersionId">Re-renders the messages that other versions of the same template produced.</param>
/// <param name="ModelParametersJson">A JSON object merged over each span's recorded parameters; a null value removes a key.</param>
/// <param name="Mode">Isolated (default) or chained.</param>
/// <param name="ToolMatching">How a chained replay answers tool calls; ignored when isolated.</param>
[GenerateSerializer, Immutable]
public sealed record ReplayOverrides(
    [property: Id(0)] string? Model,
    [property: Id(1)] string? PromptTemplateVersionId,
    [property: Id(2)] string? ModelParametersJson,
    [property: Id(3)] ReplayMode Mode = ReplayMode.Isolated,
    [property: Id(4)] ToolMatching ToolMatching = ToolMatching.Strict)
{
    public static ReplayOverrides None { get; } = new(null, null, null);
}

/// <summary>How many LLM spans each override changed.</summary>
[GenerateSerializer, Immutable]
public sealed record OverrideCounts(
    [property: Id(0)] int Model,
    [property: Id(1)] int ModelParameters,
    [property: Id(2)] int PromptTemplate,
    [property: Id(3)] IReadOnlyList<DroppedParameters>? DroppedParameters = null);

/// <summary>Parameters of one LLM span that the serving provider does not accept, left out of its request.</summary>
[GenerateSerializer, Immutable]
public sealed record DroppedParameters(
    [property: Id(0)] string SpanId,
    [property: Id(1)] IReadOnlyList<string> Parameters);

/// <summary>Why a replay failed. ProviderStatus is the LLM provider's HTTP status when it was the cause.</summary>
[GenerateSerializer, Immutable]
public sealed record ReplayError(
    [property: Id(0)] string Code,
    [property: Id(1)] string Message,
    [property: Id(2)] int? ProviderStatus = null,
    [property: Id(3)] string? SpanId = null);

/// <summary>
/// What a finished replay produced, summarised for history and lists. <see cref="TokensUnknown"/>: a span's token count
/// was not recorded (a copied span), so <see cref="TotalTokens"/> is only what was known and lists show no total.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ReplayResultSummary(
    [property: Id(0)] decimal? TotalCost,
    [property: Id(1)] long TotalTokens,
    [property: Id(2)] double? DurationMs,
    [property: Id(3)] bool Simulated,
    [property: Id(4)] bool TokensUnknown = false)
{
    /// <summary>The total, or null when unknown.</summary>
    public long? KnownTotalTokens => TokensUnknown ? null : TotalTokens;
}

/// <summary>An LLM span a replay could not re-run and copied as recorded, and why.</summary>
[GenerateSerializer, Immutable]
public sealed record SkippedSpan(
    [property: Id(0)] string SpanId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Reason);

/// <summary>
/// A replay as clients see it; also the replay history entry a trace keeps (summaries only). Prices: the price of each
/// model its calls were charged at, stored with the result.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ReplaySnapshot(
    [property: Id(0)] string Id,
    [property: Id(1)] string TraceId,
    [property: Id(2)] ReplayStatus Status,
    [property: Id(3)] ReplayOverrides Overrides,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset? StartedAt,
    [property: Id(6)] DateTimeOffset? CompletedAt,
    [property: Id(7)] ReplayError? Error,
    [property: Id(8)] int CompletedSpans,
    [property: Id(9)] int TotalSpans,
    [property: Id(10)] string? ReplayTraceId,
    [property: Id(11)] OverrideCounts OverridesApplied,
    [property: Id(12)] ReplayResultSummary? Result,
    [property: Id(13)] IReadOnlyList<SkippedSpan>? SkippedSpans = null,
    [property: Id(14)] ReplayDecisions? Decisions = null,
    [property: Id(15)] ReplayDivergence? Divergence = null,
    [property: Id(16)] string Project = TraceReplayNames.DefaultProject,
    [property: Id(17)] PriceList? Prices = null);

/// <summary>
/// Where a chained replay left the recorded path: the LLM span, what the recording did there, what the new model did,
/// and why the replay could not go on. The replay stops at this span and still completes: a divergence is a finding.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ReplayDivergence(
    [property: Id(0)] string SpanId,
    [property: Id(1)] string SpanName,
    [property: Id(2)] string Expected,
    [property: Id(3)] string Actual,
    [property: Id(4)] string Reason);

/// <summary>How many replayed LLM spans made the same decision as the recording (answer or the same tool calls).</summary>
[GenerateSerializer, Immutable]
public sealed record ReplayDecisions(
    [property: Id(0)] int Spans,
    [property: Id(1)] int Agreed)
{
    /// <summary>Agreed ÷ spans, or null when no LLM span was replayed.</summary>
    public double? AgreementRate => Spans == 0 ? null : (double)Agreed / Spans;
}

/// <summary>
/// A replay started on behalf of a sweep: the sweep chooses the replay's id (derived from the sweep, the trace's place
/// and the attempt, so a sweep resumed after a crash re-issues the same start instead of a second replay) and polls it
/// until it finishes.
/// </summary>
/// <param name="CompletionTokenMargin">
/// Set by a sweep with a budget: each replayed call may answer at most this many times its recorded completion tokens
/// (<c>max_completion_tokens</c>), so the replay cannot spend past what the sweep reserved for it.
/// </param>
[GenerateSerializer, Immutable]
public sealed record ReplaySupervisor(
    [property: Id(0)] string SweepId,
    [property: Id(1)] string ReplayId,
    [property: Id(2)] PriceSnapshot? Prices = null,
    [property: Id(3)] double? CompletionTokenMargin = null);

/// <summary>
/// The admission a TraceGrain hands a new ReplayGrain: the source trace, so that the replay plans once from it and
/// reads it again only when it resumes after a crash; the overrides; the supervising sweep, if any; and for a replay
/// started through the API, the project's limit of replays in flight, whose slot the replay takes as it is admitted.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ReplayStart(
    [property: Id(0)] TraceData Source,
    [property: Id(1)] ReplayOverrides Overrides,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] ReplaySupervisor? Supervisor = null,
    [property: Id(4)] int? InFlightLimit = null);
