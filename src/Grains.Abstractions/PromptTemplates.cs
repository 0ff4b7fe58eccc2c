namespace TraceReplay.Grains;

/// <summary>One immutable version of a prompt template. Id is the promptTemplateVersionId.</summary>
[GenerateSerializer, Immutable]
public sealed record PromptTemplateVersion(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] int Version,
    [property: Id(3)] string Content,
    [property: Id(4)] IReadOnlyList<string> Variables,
    [property: Id(5)] string? Description,
    [property: Id(6)] string? CommitMessage,
    [property: Id(7)] DateTimeOffset CreatedAt);

/// <summary>A request for the next version of a template.</summary>
[GenerateSerializer, Immutable]
public sealed record NewPromptTemplateVersion(
    [property: Id(0)] string Content,
    [property: Id(1)] IReadOnlyList<string>? Variables,
    [property: Id(2)] string? Description,
    [property: Id(3)] string? CommitMessage);

/// <summary>Either the created version or why it was refused.</summary>
[GenerateSerializer, Immutable]
public sealed record PromptTemplateResult(
    [property: Id(0)] PromptTemplateVersion? Version,
    [property: Id(1)] RequestError? Error);
