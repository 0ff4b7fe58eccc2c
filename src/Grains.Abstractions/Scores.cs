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
    [property: Id(11)] string Source = "EVALUATOR");
