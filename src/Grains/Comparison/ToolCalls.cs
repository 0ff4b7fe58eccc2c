using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Comparison;

/// <summary>One tool call an assistant message made: the tool and its parsed arguments (the call id is not part of it).</summary>
public sealed record ToolCall(string Name, JsonNode? Arguments);

/// <summary>How one tool call differs: by position in the message; a side without a call at that position is null.</summary>
public sealed record ToolCallDifference(
    int Index,
    string? NameA,
    string? NameB,
    IReadOnlyList<JsonDifference> ArgumentDifferences);

/// <summary>
/// The tool decisions of two LLM outputs compared as structures: same tool names in the same order with JSON-equal
/// arguments (argument key order and whitespace do not matter; call ids are ignored).
/// </summary>
public sealed record ToolCallComparison(
    bool Same,
    IReadOnlyList<ToolCall> A,
    IReadOnlyList<ToolCall> B,
    IReadOnlyList<ToolCallDifference> Differences)
{
    public static ToolCallComparison Of(IReadOnlyList<ToolCall> a, IReadOnlyList<ToolCall> b)
    {
        var differences = new List<ToolCallDifference>();
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var x = i < a.Count ? a[i] : null;
            var y = i < b.Count ? b[i] : null;
            var arguments = JsonStructure.Differences(x?.Arguments, y?.Arguments);
            if (x?.Name != y?.Name || arguments.Count > 0)
            {
                differences.Add(new ToolCallDifference(i, x?.Name, y?.Name, arguments));
            }
        }

        return new ToolCallComparison(differences.Count == 0, a, b, differences);
    }
}

/// <summary>Reads an LLM span's recorded output: either plain text or an assistant message object.</summary>
public static class LlmMessages
{
    /// <summary>True for an object that looks like a chat message (role, content or tool_calls).</summary>
    public static bool IsMessage(JsonNode? node) =>
        node is JsonObject o && (o.ContainsKey("role") || o.ContainsKey("tool_calls") || o.ContainsKey("content"));

    /// <summary>The message's text: a string content, or the text of its content parts.</summary>
    public static string Text(JsonObject message) => message["content"] switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Where(p => (string?)p["type"] is null or "text").Select(p => (string?)p["text"] ?? string.Empty)),
        _ => string.Empty,
    };

    /// <summary>The message's tool calls, arguments parsed from their JSON string (left as a string when it is not JSON).</summary>
    public static IReadOnlyList<ToolCall> ToolCallsOf(JsonNode? output)
    {
        if (output is not JsonObject { } message)
        {
            return [];
        }

        if (message["tool_calls"] is not JsonArray calls)
        {
            // Anthropic: tool_use content blocks, input already JSON. A Claude tool_use and a GPT tool_calls entry with
            // the same name and arguments are the same decision.
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
                ? JsonStructure.Parse(v.GetValue<string>())
                : arguments?.DeepClone();
            return new ToolCall(name, parsed);
        })];
    }
}
