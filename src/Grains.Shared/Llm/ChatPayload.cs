using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Llm;

/// <summary>One tool call an assistant message made: the tool and its parsed arguments (the call id is not part of it).</summary>
public sealed record ToolCall(string Name, JsonNode? Arguments);

/// <summary>
/// The one reader of recorded LLM payloads: a span's input and output JSON, an assistant message, its text and its tool
/// calls. An output is either plain text (a JSON string, or text that is not JSON at all) or a chat message object
/// (OpenAI's <c>tool_calls</c> or Anthropic's <c>tool_use</c> content blocks). Planners, the trace builder, comparison,
/// the decision diff and the evaluators read payloads through it, so they agree on what a message says.
/// </summary>
public static class ChatPayload
{
    /// <summary>Parses JSON text; text that is not JSON becomes a JSON string holding it, so it can still be compared.</summary>
    public static JsonNode? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }

    /// <summary>Parses JSON text; null for null text or text that is not JSON.</summary>
    public static JsonNode? ParseOrNull(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Parses a recorded payload for reading with <see cref="JsonDocument"/>; false for null, blank or non-JSON text. A
    /// JSON string that itself holds a JSON object or array (a payload encoded twice) is unwrapped once.
    /// </summary>
    public static bool TryParseDocument(string? text, [NotNullWhen(true)] out JsonDocument? document)
    {
        document = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return false;
        }

        if (document.RootElement.ValueKind == JsonValueKind.String && document.RootElement.GetString()!.TrimStart() is ['{' or '[', ..] inner)
        {
            document.Dispose();
            return TryParseDocument(inner, out document);
        }

        return true;
    }

    /// <summary>
    /// The text a payload says, for evaluators to compare: a JSON string becomes its value; an assistant message its
    /// string content (or its tool calls as JSON when it has no text); JSON null is empty; anything else stays as it is.
    /// </summary>
    public static string PayloadText(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return string.Empty;
        }

        if (!TryParseDocument(json, out var document))
        {
            return json;
        }

        using (document)
        {
            var root = document.RootElement;
            return root.ValueKind switch
            {
                JsonValueKind.String => root.GetString()!,
                JsonValueKind.Object when root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString()!,
                JsonValueKind.Object when root.TryGetProperty("role", out _) && root.TryGetProperty("tool_calls", out var calls) => calls.GetRawText(),
                JsonValueKind.Null => string.Empty,
                _ => json,
            };
        }
    }

    /// <summary>Parses JSON text like <see cref="TryParseDocument"/> (a payload encoded twice is unwrapped once); null when it is not JSON.</summary>
    public static JsonNode? ParseUnwrapped(string? text) => ParseOrNull(text) switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().TrimStart() is ['{' or '[', ..] inner => ParseUnwrapped(inner),
        var node => node,
    };

    /// <summary>Parses a JSON object; null for anything else.</summary>
    public static JsonObject? ParseObjectOrNull(string? json) => ParseOrNull(json) as JsonObject;

    /// <summary>Text that holds a JSON object or array (leading whitespace allowed), parsed; null for free text.</summary>
    public static JsonNode? ParseStructured(string text) =>
        text.TrimStart() is ['{' or '[', ..] && ParseOrNull(text) is (JsonObject or JsonArray) and var parsed ? parsed : null;

    /// <summary>True for an object that looks like a chat message (role, content or tool_calls).</summary>
    public static bool IsMessage(JsonNode? node) =>
        node is JsonObject o && (o.ContainsKey("role") || o.ContainsKey("tool_calls") || o.ContainsKey("content"));

    /// <summary>
    /// The message's text: a string content, or the concatenated text of its text parts (parts without a type, or of
    /// type <c>text</c>); images, tool_use blocks and other parts add nothing.
    /// </summary>
    public static string Text(JsonObject message) => message["content"] switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Where(p => (string?)p["type"] is null or "text").Select(p => (string?)p["text"] ?? string.Empty)),
        _ => string.Empty,
    };

    /// <summary>The text of an answer: a JSON string's value, a message's <see cref="Text"/>; empty for anything else.</summary>
    public static string AnswerText(JsonNode? answer) => answer switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonObject message => Text(message),
        _ => string.Empty,
    };

    /// <summary>
    /// The message's tool calls in order, arguments parsed from their JSON string (left as a string when it is not
    /// JSON). OpenAI <c>tool_calls</c> entries and Anthropic <c>tool_use</c> blocks with the same name and arguments read
    /// the same, so a Claude and a GPT making the same call made the same decision.
    /// </summary>
    public static IReadOnlyList<ToolCall> ToolCalls(JsonNode? output)
    {
        if (output is not JsonObject { } message)
        {
            return [];
        }

        if (message["tool_calls"] is not JsonArray calls)
        {
            return message["content"] is JsonArray blocks
                ? [.. blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "tool_use")
                    .Select(b => new ToolCall((string?)b["name"] ?? string.Empty, b["input"]?.DeepClone()))]
                : [];
        }

        return [.. calls.OfType<JsonObject>().Select(call =>
        {
            var function = call["function"] as JsonObject;
            var name = (string?)function?["name"] ?? (string?)call["name"] ?? string.Empty;
            var arguments = function?["arguments"] ?? call["arguments"];
            var parsed = arguments is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? Parse(v.GetValue<string>())
                : arguments?.DeepClone();
            return new ToolCall(name, parsed);
        })];
    }

    /// <summary>A node as text: a JSON string's value, anything else as JSON; null stays null.</summary>
    public static string? StringOrJson(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>Tool arguments as JSON: parsed from a JSON string (blank is an empty object), else the string itself.</summary>
    public static JsonNode? Arguments(JsonNode? node)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>();
            return string.IsNullOrWhiteSpace(text) ? new JsonObject() : Parse(text);
        }

        return node?.DeepClone();
    }

    /// <summary>
    /// The text of a content value as the protocol readers take it: a string, or the text of its text parts/blocks
    /// (<c>text</c>, else <c>content</c>); any other value as JSON.
    /// </summary>
    public static string ContentText(JsonNode? content) => content switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => (string?)p["type"] is null or "text" ? StringOrJson(p["text"]) ?? StringOrJson(p["content"]) ?? string.Empty : string.Empty)),
        null => string.Empty,
        _ => content.ToJsonString(),
    };

    /// <summary>A JSON number's value, whether the node was parsed or built from a CLR number.</summary>
    public static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            ? double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : null;
}
