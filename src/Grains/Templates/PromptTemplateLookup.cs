namespace TraceReplay.Grains.Templates;

// STUB: replaced by the templates branch.
public static class PromptTemplateLookup
{
    public static Task<PromptTemplateVersion?> FindVersionAsync(IGrainFactory grains, string project, string versionId) => throw new NotImplementedException();
}
