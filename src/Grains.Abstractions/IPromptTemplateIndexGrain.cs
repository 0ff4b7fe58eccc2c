namespace TraceReplay.Grains;

/// <summary>A project's template names and the version id → template name map (key: project).</summary>
[Alias("TraceReplay.IPromptTemplateIndexGrain")]
public interface IPromptTemplateIndexGrain : IGrainWithStringKey
{
    /// <summary>Records a new version so that its id resolves to its template.</summary>
    [Alias("AddAsync")]
    Task AddAsync(string versionId, string name);

    /// <summary>The template name a version id belongs to, or null.</summary>
    [Alias("FindNameAsync"), AlwaysInterleave]
    Task<string?> FindNameAsync(string versionId);

    /// <summary>Every template name, sorted.</summary>
    [Alias("GetNamesAsync"), AlwaysInterleave]
    Task<IReadOnlyList<string>> GetNamesAsync();
}
