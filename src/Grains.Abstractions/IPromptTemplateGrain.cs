namespace TraceReplay.Grains;

/// <summary>One prompt template (key: project/name) and its immutable versions.</summary>
[Alias("TraceReplay.IPromptTemplateGrain")]
public interface IPromptTemplateGrain : IGrainWithStringKey
{
    /// <summary>Creates version 1 or the next version.</summary>
    [Alias("CreateVersionAsync")]
    Task<PromptTemplateResult> CreateVersionAsync(NewPromptTemplateVersion request);

    /// <summary>All versions, oldest first.</summary>
    [Alias("GetVersionsAsync"), AlwaysInterleave]
    Task<IReadOnlyList<PromptTemplateVersion>> GetVersionsAsync();
}
