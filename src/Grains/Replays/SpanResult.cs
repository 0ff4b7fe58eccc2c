namespace TraceReplay.Grains.Replays;

/// <summary>A finished LLM call of a replay, keyed by the source span id so a resumed replay skips it.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.SpanResult")]
public sealed record SpanResult(
    [property: Id(0)] string SourceSpanId,
    [property: Id(1)] string Model,
    [property: Id(2)] string MessageJson,
    [property: Id(3)] int PromptTokens,
    [property: Id(4)] int CompletionTokens,
    [property: Id(5)] double LatencyMs,
    [property: Id(6)] double WaitMs,
    [property: Id(7)] decimal? Cost,
    [property: Id(8)] bool Simulated,
    [property: Id(9)] int Attempts,
    [property: Id(10)] IReadOnlyList<string>? DroppedParameters = null);
