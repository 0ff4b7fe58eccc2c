namespace TraceReplay.Grains.Templates;

/// <summary>The persisted versions of one prompt template, oldest first; versions are never changed or removed.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.PromptTemplateState")]
public sealed record PromptTemplateState
{
    [Id(0)]
    public IReadOnlyList<PromptTemplateVersion> Versions { get; init; } = [];
}
