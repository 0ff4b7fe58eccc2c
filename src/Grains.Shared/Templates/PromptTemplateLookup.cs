namespace TraceReplay.Grains.Templates;

/// <summary>Finds prompt templates and their versions; the one place the "{project}/{name}" grain key is spelled.</summary>
public static class PromptTemplateLookup
{
    /// <summary>The grain of the template <paramref name="name"/> in <paramref name="project"/>.</summary>
    public static IPromptTemplateGrain GetTemplate(IGrainFactory grains, string project, string name)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (project.Contains('/'))
        {
            throw new ArgumentException("A project name cannot contain '/'.", nameof(project));
        }

        return grains.GetGrain<IPromptTemplateGrain>($"{project}/{name}");
    }

    /// <summary>The version with id <paramref name="versionId"/> in <paramref name="project"/>, or null.</summary>
    public static async Task<PromptTemplateVersion?> FindVersionAsync(IGrainFactory grains, string project, string versionId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        if (string.IsNullOrWhiteSpace(versionId))
        {
            return null;
        }

        var name = await grains.GetGrain<IPromptTemplateIndexGrain>(project).FindNameAsync(versionId);
        if (name is null)
        {
            return null;
        }

        var versions = await GetTemplate(grains, project, name).GetVersionsAsync();
        return versions.FirstOrDefault(v => v.Id == versionId);
    }

    /// <summary>Splits a template grain key into its project and its name (everything after the first '/').</summary>
    internal static (string Project, string Name) SplitKey(string key)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0 || slash == key.Length - 1)
        {
            throw new InvalidOperationException($"Prompt template key '{key}' is not of the form 'project/name'.");
        }

        return (key[..slash], key[(slash + 1)..]);
    }
}
