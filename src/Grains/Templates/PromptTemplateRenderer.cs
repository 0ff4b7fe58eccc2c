using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using Stubble.Core.Contexts;
using Stubble.Core.Renderers.StringRenderer;
using Stubble.Core.Exceptions;
using Stubble.Core.Settings;
using Stubble.Core.Tokens;

namespace TraceReplay.Grains.Templates;

/// <summary>The rendered prompt text, or why the template could not be rendered.</summary>
public sealed record TemplateRenderResult(string? Text, string? Error)
{
    public bool Succeeded => Error is null;

    public static TemplateRenderResult Failed(string error) => new(null, error);
}

/// <summary>
/// Mustache prompt templates, parsed and rendered by Stubble. Prompts are not HTML, so nothing is HTML-escaped.
/// Every name the template looks up must be present: a missing or null variable is an error, never an empty string.
/// Booleans render as <c>true</c>/<c>false</c>, numbers in the invariant culture, arrays and objects as their JSON text.
/// Partials (<c>{{&gt;name}}</c>) are refused: a stored template must stand alone.
/// </summary>
public static partial class PromptTemplateRenderer
{
    /// <summary>The most characters a rendered prompt may have; a template that would render more is refused.</summary>
    public const int MaxRenderedLength = 1_000_000;

    // Stubble's default getter for any other type reads properties, fields and methods by reflection ({{GetType}},
    // {{Assembly}} …). Variables are JSON: dictionaries, lists and scalars only; nothing else has a member to look up.
    private static readonly RendererSettings _rendererSettings = new RendererSettingsBuilder()
        .AddValueGetter(typeof(object), (_, _, _) => null)
        .AddTruthyCheck<JsonBoolean>(value => value.Value)
        .AddTruthyCheck<JsonArray>(value => value.Count > 0)
        .BuildSettings();

    private static readonly RenderSettings _renderSettings = new()
    {
        SkipHtmlEncoding = true,
        ThrowOnDataMiss = true,
        CultureInfo = CultureInfo.InvariantCulture,
    };

    /// <summary>
    /// Every name the template looks up (interpolations, unescaped tags, section and inverted-section names; dotted
    /// names whole), distinct, in order of first appearance. Throws <see cref="FormatException"/> when the template
    /// does not parse; call <see cref="Validate"/> first for a message instead.
    /// </summary>
    public static IReadOnlyList<string> FindVariables(string content)
    {
        var template = Parse(content);
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Collect(template.Children);
        return found;

        void Collect(IEnumerable<MustacheToken> tokens)
        {
            foreach (var token in tokens)
            {
                switch (token)
                {
                    case InterpolationToken interpolation:
                        Add(interpolation.Content.ToString().Trim());
                        break;
                    case SectionToken section:
                        Add(section.SectionName);
                        Collect(section.Children);
                        break;
                    case InvertedSectionToken inverted:
                        Add(inverted.SectionName);
                        Collect(inverted.Children);
                        break;
                }
            }
        }

        void Add(string name)
        {
            // "." is the current context inside a section, not a variable of its own.
            if (name.Length > 0 && name != "." && seen.Add(name))
            {
                found.Add(name);
            }
        }
    }

    /// <summary>Null when the template parses and can be rendered; otherwise what is wrong with it.</summary>
    public static string? Validate(string content)
    {
        MustacheTemplate template;
        try
        {
            template = ParseOrThrow(content);
        }
        catch (StubbleException e)
        {
            return $"malformed template: {e.Message}";
        }

        return FindUnsupported(template.Children);
    }

    /// <summary>Renders with variables given as a JSON object text; null or blank means no variables.</summary>
    public static TemplateRenderResult Render(string content, string? variablesJson)
    {
        if (string.IsNullOrWhiteSpace(variablesJson))
        {
            return Render(content, EmptyObject());
        }

        try
        {
            using var document = JsonDocument.Parse(variablesJson);
            return Render(content, document.RootElement);
        }
        catch (JsonException e)
        {
            return TemplateRenderResult.Failed($"variables are not valid JSON: {e.Message}");
        }
    }

    /// <summary>Renders with variables given as a JSON object.</summary>
    public static TemplateRenderResult Render(string content, JsonElement variables)
    {
        if (variables.ValueKind != JsonValueKind.Object)
        {
            return TemplateRenderResult.Failed($"variables must be a JSON object, not {variables.ValueKind.ToString().ToLowerInvariant()}");
        }

        MustacheTemplate template;
        try
        {
            template = ParseOrThrow(content);
        }
        catch (StubbleException e)
        {
            return TemplateRenderResult.Failed($"malformed template: {e.Message}");
        }

        if (FindUnsupported(template.Children) is { } unsupported)
        {
            return TemplateRenderResult.Failed(unsupported);
        }

        // One budget for what the render writes and for every section item it visits, so neither the output nor a
        // walk over nested sections that write nothing can grow without bound.
        var budget = new RenderBudget();
        var writer = new BoundedWriter(budget);
        try
        {
            var renderer = new StringRender(writer, _rendererSettings.RendererPipeline, _rendererSettings.MaxRecursionDepth);
            renderer.Render(template, new Context(ToData(variables, budget), _rendererSettings, _rendererSettings.PartialTemplateLoader, _renderSettings));
            return new TemplateRenderResult(writer.ToString(), null);
        }
        catch (StubbleDataMissException e)
        {
            // Stubble's own lookup with ThrowOnDataMiss: a name that resolves to nothing (or to null) in any enclosing
            // context. Reflection is off (see _rendererSettings), so only JSON members count.
            return TemplateRenderResult.Failed($"missing variable '{e.Data["Name"]}'");
        }
        catch (RenderTooLargeException)
        {
            return TemplateRenderResult.Failed($"the rendered prompt would be longer than {MaxRenderedLength} characters");
        }
    }

    private static MustacheTemplate Parse(string content)
    {
        try
        {
            return ParseOrThrow(content);
        }
        catch (StubbleException e)
        {
            throw new FormatException($"malformed template: {e.Message}", e);
        }
    }

    private static MustacheTemplate ParseOrThrow(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return _rendererSettings.Parser.Parse(content, _rendererSettings.DefaultTags, 0, _rendererSettings.ParserPipeline);
    }

    private static string? FindUnsupported(IEnumerable<MustacheToken> tokens)
    {
        foreach (var token in tokens)
        {
            switch (token)
            {
                case PartialToken partial:
                    return $"partials are not supported ('{{{{>{partial.Content.ToString().Trim()}}}}}' at {partial.TagStartPosition})";
                case InterpolationToken interpolation when interpolation.Content.ToString().Trim().Length == 0:
                    return $"empty tag at {interpolation.TagStartPosition}";
                case InterpolationToken interpolation when !VariablePath().IsMatch(interpolation.Content.ToString().Trim()):
                    return $"'{interpolation.Content.ToString().Trim()}' at {interpolation.TagStartPosition} is not a variable name (letters, digits, _ and -, dotted paths)";
                case SectionToken section when !VariablePath().IsMatch(section.SectionName):
                    return $"'{section.SectionName}' is not a variable name (letters, digits, _ and -, dotted paths)";
                case InvertedSectionToken inverted when !VariablePath().IsMatch(inverted.SectionName):
                    return $"'{inverted.SectionName}' is not a variable name (letters, digits, _ and -, dotted paths)";
                case BlockToken block when FindUnsupported(block.Children) is { } inner:
                    return inner;
            }
        }

        return null;
    }

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }

    private static object? ToData(JsonElement element, RenderBudget budget) => element.ValueKind switch
    {
        JsonValueKind.Object => ToObject(element, budget),
        JsonValueKind.Array => ToArray(element, budget),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number when element.TryGetInt64(out var integer) => integer,
        JsonValueKind.Number when element.TryGetDecimal(out var number) => number,
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => JsonBoolean.True,
        JsonValueKind.False => JsonBoolean.False,
        _ => null,
    };

    private static JsonObject ToObject(JsonElement element, RenderBudget budget)
    {
        var result = new JsonObject(element.GetRawText());
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = ToData(property.Value, budget);
        }

        return result;
    }

    private static JsonArray ToArray(JsonElement element, RenderBudget budget)
    {
        var result = new JsonArray(element.GetRawText(), budget);
        foreach (var item in element.EnumerateArray())
        {
            result.Add(ToData(item, budget));
        }

        return result;
    }

    // Stubble looks values up in dictionaries and iterates lists; the raw JSON text is what {{object}} prints.
    private sealed class JsonObject(string json) : Dictionary<string, object?>(StringComparer.Ordinal)
    {
        public override string ToString() => json;
    }

    /// <summary>A JSON array as a section iterates it: every item visited is charged to the render's budget.</summary>
    private sealed class JsonArray(string json, RenderBudget budget) : IEnumerable<object?>
    {
        private readonly List<object?> _items = [];

        public int Count => _items.Count;

        public void Add(object? item) => _items.Add(item);

        public IEnumerator<object?> GetEnumerator()
        {
            foreach (var item in _items)
            {
                budget.Spend(1);
                yield return item;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => json;
    }

    private sealed class JsonBoolean(bool value)
    {
        public static readonly JsonBoolean True = new(true);
        public static readonly JsonBoolean False = new(false);

        public bool Value => value;

        public override string ToString() => value ? "true" : "false";
    }

    /// <summary>Characters written plus section items visited; past <see cref="MaxRenderedLength"/> the render stops.</summary>
    private sealed class RenderBudget
    {
        private long _spent;

        public void Spend(long amount)
        {
            _spent += amount;
            if (_spent > MaxRenderedLength)
            {
                throw new RenderTooLargeException();
            }
        }
    }

    private sealed class RenderTooLargeException : Exception;

    /// <summary>The render's output, charged to its budget as it is written.</summary>
    private sealed class BoundedWriter(RenderBudget budget) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override void Write(char value)
        {
            budget.Spend(1);
            base.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            budget.Spend(count);
            base.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            budget.Spend(buffer.Length);
            base.Write(buffer);
        }

        public override void Write(string? value)
        {
            budget.Spend(value?.Length ?? 0);
            base.Write(value);
        }

        public override void Write(StringBuilder? value)
        {
            budget.Spend(value?.Length ?? 0);
            base.Write(value);
        }
    }

    /// <summary>A variable name or dotted path ("." is the current item in a section); anything else in a tag is refused.</summary>
    [GeneratedRegex(@"^(\.|[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*)$")]
    private static partial Regex VariablePath();
}
