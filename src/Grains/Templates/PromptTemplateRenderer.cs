using System.Text.RegularExpressions;
using System.Globalization;
using System.Text.Json;
using Stubble.Core;
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
        .BuildSettings();

    private const string TooLarge = "\0too large";

    private static readonly StubbleVisitorRenderer _stubble = new(_rendererSettings);

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

        if (Validate(content) is { } invalid)
        {
            return TemplateRenderResult.Failed(invalid);
        }

        var template = ParseOrThrow(content);
        var data = ToData(variables);
        long size = 0;
        switch (FindMissing(template.Children, [data], ref size))
        {
            case TooLarge:
                return TemplateRenderResult.Failed($"the rendered prompt would be longer than {MaxRenderedLength} characters");
            case { } missing:
                return TemplateRenderResult.Failed($"missing variable '{missing}'");
        }

        try
        {
            var text = _stubble.Render(content, data, _renderSettings);
            return text.Length > MaxRenderedLength
                ? TemplateRenderResult.Failed($"the rendered prompt would be longer than {MaxRenderedLength} characters")
                : new TemplateRenderResult(text, null);
        }
        catch (StubbleDataMissException e)
        {
            // FindMissing mirrors Stubble's lookup; this only catches a case where the two disagree.
            return TemplateRenderResult.Failed($"missing variable: {e.Message}");
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

    /// <summary>
    /// Walks the template as Stubble would render it and returns the first name that does not resolve. Lookup follows
    /// mustache: the innermost context first, then outwards; a dotted name resolves its first part that way and the
    /// rest inside it. Children of a section are checked once per item it would render. <paramref name="size"/> adds up
    /// what the render would write (and one per section item); past <see cref="MaxRenderedLength"/> the walk stops and
    /// answers <see cref="TooLarge"/>, so neither the walk nor the render can grow without bound.
    /// </summary>
    private static string? FindMissing(IEnumerable<MustacheToken> tokens, IReadOnlyList<object?> contexts, ref long size)
    {
        foreach (var token in tokens)
        {
            if (size > MaxRenderedLength)
            {
                return TooLarge;
            }

            switch (token)
            {
                case LiteralToken literal:
                    size += literal.ContentEndPosition - literal.ContentStartPosition;
                    break;
                case InterpolationToken interpolation:
                    var name = interpolation.Content.ToString().Trim();
                    if (!TryResolve(name, contexts, out var printed))
                    {
                        return name;
                    }

                    size += printed?.ToString()?.Length ?? 0;
                    break;
                case SectionToken section:
                    if (!TryResolve(section.SectionName, contexts, out var value))
                    {
                        return section.SectionName;
                    }

                    if (!IsTruthy(value))
                    {
                        break;
                    }

                    var items = value is JsonArray array ? array : (IEnumerable<object?>)[value];
                    foreach (var item in items)
                    {
                        size++;
                        if (FindMissing(section.Children, [.. contexts, item], ref size) is { } inSection)
                        {
                            return inSection;
                        }
                    }

                    break;
                case InvertedSectionToken inverted:
                    if (!TryResolve(inverted.SectionName, contexts, out var condition))
                    {
                        return inverted.SectionName;
                    }

                    if (!IsTruthy(condition) && FindMissing(inverted.Children, contexts, ref size) is { } inInverted)
                    {
                        return inInverted;
                    }

                    break;
            }
        }

        return size > MaxRenderedLength ? TooLarge : null;
    }

    private static bool TryResolve(string name, IReadOnlyList<object?> contexts, out object? value)
    {
        if (name == ".")
        {
            value = contexts[^1];
            return true;
        }

        var parts = name.Split('.');
        value = null;
        for (var i = contexts.Count - 1; i >= 0; i--)
        {
            if (contexts[i] is JsonObject scope && scope.TryGetValue(parts[0], out var first) && first is not null)
            {
                value = first;
                break;
            }
        }

        for (var i = 1; i < parts.Length && value is not null; i++)
        {
            value = value is JsonObject inner && inner.TryGetValue(parts[i], out var next) ? next : null;
        }

        return value is not null;
    }

    private static bool IsTruthy(object? value) => value switch
    {
        null => false,
        JsonBoolean boolean => boolean.Value,
        string text => text.Length > 0,
        long number => number != 0,
        decimal number => number != 0,
        double number => number != 0,
        JsonArray array => array.Count > 0,
        _ => true,
    };

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }

    private static object? ToData(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToObject(element),
        JsonValueKind.Array => ToArray(element),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number when element.TryGetInt64(out var integer) => integer,
        JsonValueKind.Number when element.TryGetDecimal(out var number) => number,
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => JsonBoolean.True,
        JsonValueKind.False => JsonBoolean.False,
        _ => null,
    };

    private static JsonObject ToObject(JsonElement element)
    {
        var result = new JsonObject(element.GetRawText());
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = ToData(property.Value);
        }

        return result;
    }

    private static JsonArray ToArray(JsonElement element)
    {
        var result = new JsonArray(element.GetRawText());
        foreach (var item in element.EnumerateArray())
        {
            result.Add(ToData(item));
        }

        return result;
    }

    // Stubble looks values up in dictionaries and iterates lists; the raw JSON text is what {{object}} prints.
    private sealed class JsonObject(string json) : Dictionary<string, object?>(StringComparer.Ordinal)
    {
        public override string ToString() => json;
    }

    private sealed class JsonArray(string json) : List<object?>
    {
        public override string ToString() => json;
    }

    private sealed class JsonBoolean(bool value)
    {
        public static readonly JsonBoolean True = new(true);
        public static readonly JsonBoolean False = new(false);

        public bool Value => value;

        public override string ToString() => value ? "true" : "false";
    }

    /// <summary>A variable name or dotted path ("." is the current item in a section); anything else in a tag is refused.</summary>
    [GeneratedRegex(@"^(\.|[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*)$")]
    private static partial Regex VariablePath();
}
