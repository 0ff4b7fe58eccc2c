namespace TraceReplay.Grains;

/// <summary>
/// One configured evaluator of a project. Type is one of the catalog's names (CONTAINS, LLM_JUDGE, …); ConfigJson is
/// its JSON object config, validated per type. Version starts at 1 and grows whenever the config changes.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record EvaluatorDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string Project,
    [property: Id(2)] string Name,
    [property: Id(3)] string Type,
    [property: Id(4)] string ConfigJson,
    [property: Id(5)] bool Enabled,
    [property: Id(6)] int Version,
    [property: Id(7)] DateTimeOffset CreatedAt,
    [property: Id(8)] DateTimeOffset UpdatedAt);

/// <summary>A new evaluator: name, type, JSON object config, enabled.</summary>
[GenerateSerializer, Immutable]
public sealed record NewEvaluator(
    [property: Id(0)] string Name,
    [property: Id(1)] string Type,
    [property: Id(2)] string ConfigJson,
    [property: Id(3)] bool Enabled);

/// <summary>A change to an evaluator; null fields stay as they are.</summary>
[GenerateSerializer, Immutable]
public sealed record EvaluatorPatch(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? ConfigJson,
    [property: Id(2)] bool? Enabled);

/// <summary>Either the evaluator or why the request was refused.</summary>
[GenerateSerializer, Immutable]
public sealed record EvaluatorResult(
    [property: Id(0)] EvaluatorDefinition? Evaluator,
    [property: Id(1)] RequestError? Error)
{
    public static EvaluatorResult Refused(ErrorKind kind, string message) => new(null, new RequestError(kind, message));
}

/// <summary>
/// Published on the trace-created stream when a trace is complete enough to score. The receiver reads the pending
/// evaluators from the trace itself, so a redelivered or repeated event changes nothing.
/// </summary>
/// <param name="EvaluateAfter">When scoring may start: later span batches of an ingested trace get a short settle time.</param>
[GenerateSerializer, Immutable]
public sealed record TraceCreated(
    [property: Id(0)] string TraceId,
    [property: Id(1)] string Project,
    [property: Id(2)] DateTimeOffset EvaluateAfter);

/// <summary>A trace's evaluations: the evaluators enabled when it was created, and those still without a score.</summary>
[GenerateSerializer, Immutable]
public sealed record EvaluationStatus(
    [property: Id(0)] int Total,
    [property: Id(1)] IReadOnlyList<EvaluatorDefinition> Pending,
    [property: Id(2)] DateTimeOffset? EvaluateAfter)
{
    public static EvaluationStatus None { get; } = new(0, [], null);

    public int Done => Total - Pending.Count;
}
