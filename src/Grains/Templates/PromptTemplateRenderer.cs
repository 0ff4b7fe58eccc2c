namespace TraceReplay.Grains.Templates;

// STUB: replaced by the templates branch.
public sealed record TemplateRenderResult(string? Text, string? Error);

public static class PromptTemplateRenderer
{
    public static TemplateRenderResult Render(string content, string? variablesJson) => throw new NotImplementedException();
}
