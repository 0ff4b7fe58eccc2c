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
}
