namespace TraceReplay.Grains.Templates;

/// <summary>The persisted index of one project's templates: version id → template name, and the names sorted.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.PromptTemplateIndexState")]
public sealed record PromptTemplateIndexState
{
    [Id(0)]
    public IReadOnlyDictionary<string, string> NamesByVersionId { get; init; } = new Dictionary<string, string>();

    /// <summary>Distinct template names in ordinal order.</summary>
    [Id(1)]
    public IReadOnlyList<string> Names { get; init; } = [];
}
