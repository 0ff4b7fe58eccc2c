namespace TraceReplay.Grains;

/// <summary>The kind of work a span records (2Signal's span types).</summary>
public enum SpanType
{
    Agent = 0,
    Llm = 1,
    Tool = 2,
    Retrieval = 3,
    Chain = 4,
    Custom = 5,
}

/// <summary>Outcome of a span or trace.</summary>
public enum SpanStatus
{
    Ok = 0,
    Error = 1,
}

/// <summary>
/// One span of a trace. JSON payloads (input, output, metadata, parameters, variables) are kept as raw JSON text
/// so that whatever was recorded is replayed byte for byte.
/// </summary>
/// <param name="NotReplayableReason">Set on an LLM span whose request was not recorded (e.g. an OpenTelemetry
/// instrumentation with content capture off): why it cannot be re-run. A replay copies such a span as recorded.</param>
/// <param name="OutputReplayed">On a replay trace only: true for a replayed LLM span and for a span whose output now
/// carries replayed answers; false for a span above a replayed LLM span whose recorded output holds none of the
/// recorded answers, so it is a copied original (evaluators then read the last replayed answer instead).</param>
[GenerateSerializer, Immutable]
public sealed record SpanData(
    [property: Id(0)] string Id,
    [property: Id(1)] string? ParentSpanId,
    [property: Id(2)] string Name,
    [property: Id(3)] SpanType Type,
    [property: Id(4)] DateTimeOffset? StartTime,
    [property: Id(5)] DateTimeOffset? EndTime,
    [property: Id(6)] string? InputJson,
    [property: Id(7)] string? OutputJson,
    [property: Id(8)] string? Model,
    [property: Id(9)] string? ModelParametersJson,
    [property: Id(10)] int? PromptTokens,
    [property: Id(11)] int? CompletionTokens,
    [property: Id(12)] decimal? Cost,
    [property: Id(13)] SpanStatus Status,
    [property: Id(14)] string? MetadataJson,
    [property: Id(15)] string? PromptTemplateVersionId = null,
    [property: Id(16)] string? PromptVariablesJson = null,
    [property: Id(17)] int? PromptMessageIndex = null,
    [property: Id(18)] string? ReplayOfSpanId = null,
    [property: Id(19)] bool Simulated = false,
    [property: Id(20)] string? NotReplayableReason = null,
    [property: Id(21)] bool? OutputReplayed = null)
{
    /// <summary>Wall-clock duration in milliseconds, when both ends were recorded.</summary>
    public double? DurationMs => StartTime is { } s && EndTime is { } e ? (e - s).TotalMilliseconds : null;
}
