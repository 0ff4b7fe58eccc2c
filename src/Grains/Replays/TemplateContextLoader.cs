using TraceReplay.Grains.Templates;

namespace TraceReplay.Grains.Replays;

/// <summary>Reads the templates a replay needs: the override version and the names of the recorded versions.</summary>
public static class TemplateContextLoader
{
    public static async Task<(TemplateContext Context, string? Error)> LoadAsync(
        IGrainFactory grains, TraceData trace, ReplayOverrides overrides)
    {
        if (overrides.PromptTemplateVersionId is not { } versionId)
        {
            return (TemplateContext.Empty, null);
        }

        var version = await PromptTemplateLookup.FindVersionAsync(grains, trace.Project, versionId);
        if (version is null)
        {
            return (TemplateContext.Empty, $"promptTemplateVersionId '{versionId}' is unknown.");
        }

        var index = grains.GetGrain<IPromptTemplateIndexGrain>(trace.Project);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var recorded in trace.Spans.Select(s => s.PromptTemplateVersionId).OfType<string>().Distinct())
        {
            if (await index.FindNameAsync(recorded) is { } name)
            {
                names[recorded] = name;
            }
        }

        return (new TemplateContext(version, names), null);
    }
}
