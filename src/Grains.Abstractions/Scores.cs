namespace TraceReplay.Grains;

/// <summary>
/// One evaluator's verdict on a trace (or one of its spans). Score is in [0, 1]; an evaluator that failed records
/// Error instead of a score — never a made-up number. Unique per (trace, evaluator id, evaluator version, span).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TraceScore(
    [property: Id(0)] string EvaluatorId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Type,
    [property: Id(3)] double? Score,
    [property: Id(4)] string? Label,
    [property: Id(5)] string? Reasoning,
    [property: Id(6)] int EvaluatorVersion,
    [property: Id(7)] DateTimeOffset CreatedAt,
    [property: Id(8)] string? Error = null,
    [property: Id(9)] string? SpanId = null,
    [property: Id(10)] bool HigherIsBetter = true,
    [property: Id(11)] string Source = "EVALUATOR")
{
    /// <summary>The most characters a score's reasoning (or error) keeps, wherever the score came from.</summary>
    public const int MaxReasoningLength = 4096;

    /// <summary>This score with its reasoning and error cut to <see cref="MaxReasoningLength"/> characters (marked with "…").</summary>
    public TraceScore Bounded() =>
        Reasoning?.Length > MaxReasoningLength || Error?.Length > MaxReasoningLength
            ? this with { Reasoning = Cap(Reasoning), Error = Cap(Error) }
            : this;

    private static string? Cap(string? text) => text is { Length: > MaxReasoningLength } ? text[..(MaxReasoningLength - 1)] + "…" : text;
}
