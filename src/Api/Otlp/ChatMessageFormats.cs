using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Api.Otlp;

/// <summary>
/// Converts the message shapes instrumentations record into OpenAI chat messages, the shape a replay sends: GenAI
/// semantic-convention parts, OpenInference's and OpenLLMetry's flattened attributes, and the Vercel AI SDK's messages.
/// </summary>
public static class ChatMessageFormats
{
    /// <summary>GenAI <c>gen_ai.input.messages</c> / <c>gen_ai.output.messages</c>: <c>{role, parts: [...]}</c>.</summary>
    public static JsonArray FromGenAiParts(JsonArray messages)
    {
        var result = new JsonArray();
        foreach (var message in messages.OfType<JsonObject>())
        {
            var role = (string?)message["role"] ?? "user";
            if (message["parts"] is not JsonArray parts)
            {
                // Already { role, content }: the shape older instrumentations used.
                result.Add(message.DeepClone());
                continue;
            }

            var content = new List<JsonObject>();
            var toolCalls = new JsonArray();
            foreach (var part in parts.OfType<JsonObject>())
            {
                switch ((string?)part["type"])
                {
                    case "tool_call":
                        toolCalls.Add(ToolCall(Text(part["id"]), Text(part["name"]), part["arguments"]));
                        break;
                    case "tool_call_response":
                        result.Add(new JsonObject
                        {
                            ["role"] = "tool",
                            ["tool_call_id"] = Text(part["id"]),
                            ["content"] = Text(part["response"] ?? part["result"]) ?? string.Empty,
                        });
                        break;
                    case "uri" when (string?)part["modality"] == "image":
                        content.Add(ImagePart(Text(part["uri"])));
                        break;
                    case "blob" when (string?)part["modality"] == "image":
                        content.Add(ImagePart($"data:{(string?)part["mime_type"] ?? "image/png"};base64,{Text(part["content"])}"));
                        break;
                    default:
                        if (Text(part["content"] ?? part["text"]) is { } text)
                        {
                            content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
                        }

                        break;
                }
            }

            if (content.Count == 0 && toolCalls.Count == 0)
            {
                continue;
            }

            var converted = new JsonObject { ["role"] = role, ["content"] = Content(content) };
            if (Text(message["name"]) is { } name)
            {
                converted["name"] = name;
            }

            if (toolCalls.Count > 0)
            {
                converted["tool_calls"] = toolCalls;
            }

            result.Add(converted);
        }

        return result;
    }

    /// <summary>GenAI <c>gen_ai.system_instructions</c>: parts, or a plain string.</summary>
    public static JsonObject? SystemFromInstructions(JsonNode? instructions)
    {
        var text = instructions switch
        {
            JsonArray parts => string.Join("\n", parts.OfType<JsonObject>().Select(p => Text(p["content"] ?? p["text"])).OfType<string>()),
            _ => Text(instructions),
        };
        return string.IsNullOrEmpty(text) ? null : new JsonObject { ["role"] = "system", ["content"] = text };
    }

    /// <summary>OpenInference <c>llm.input_messages.N.message.*</c> / <c>llm.output_messages.N.message.*</c>.</summary>
    public static JsonArray FromOpenInference(SortedDictionary<int, Dictionary<string, JsonNode?>> messages)
    {
        var result = new JsonArray();
        foreach (var fields in messages.Values)
        {
            var message = new JsonObject { ["role"] = Text(fields.GetValueOrDefault("message.role")) ?? "user" };
            var contents = Group(fields, "message.contents.");
            message["content"] = contents.Count > 0
                ? Content([.. contents.Values.Select(c => (string?)Text(c.GetValueOrDefault("message_content.type")) == "image"
                    ? ImagePart(Text(c.GetValueOrDefault("message_content.image.image.url")))
                    : new JsonObject { ["type"] = "text", ["text"] = Text(c.GetValueOrDefault("message_content.text")) ?? string.Empty })])
                : Text(fields.GetValueOrDefault("message.content"));
            if (Text(fields.GetValueOrDefault("message.name")) is { } name)
            {
                message["name"] = name;
            }

            if (Text(fields.GetValueOrDefault("message.tool_call_id")) is { } toolCallId)
            {
                message["tool_call_id"] = toolCallId;
            }

            var toolCalls = Group(fields, "message.tool_calls.");
            if (toolCalls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. toolCalls.Values.Select(c => ToolCall(
                    Text(c.GetValueOrDefault("tool_call.id")), Text(c.GetValueOrDefault("tool_call.function.name")),
                    c.GetValueOrDefault("tool_call.function.arguments")))]);
            }

            result.Add(message);
        }

        return result;
    }

    /// <summary>OpenLLMetry's older <c>gen_ai.prompt.N.*</c> / <c>gen_ai.completion.N.*</c>.</summary>
    public static JsonArray FromFlattened(SortedDictionary<int, Dictionary<string, JsonNode?>> messages, string defaultRole)
    {
        var result = new JsonArray();
        foreach (var fields in messages.Values)
        {
            var message = new JsonObject
            {
                ["role"] = Text(fields.GetValueOrDefault("role")) ?? defaultRole,
                ["content"] = Text(fields.GetValueOrDefault("content")),
            };
            if (Text(fields.GetValueOrDefault("tool_call_id")) is { } toolCallId)
            {
                message["tool_call_id"] = toolCallId;
            }

            var toolCalls = Group(fields, "tool_calls.");
            if (toolCalls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. toolCalls.Values.Select(c => ToolCall(
                    Text(c.GetValueOrDefault("id")), Text(c.GetValueOrDefault("name")), c.GetValueOrDefault("arguments")))]);
            }

            result.Add(message);
        }

        return result;
    }

    /// <summary>The Vercel AI SDK's <c>ai.prompt.messages</c>: content parts text, image, tool-call, tool-result.</summary>
    public static JsonArray FromVercel(JsonArray messages)
    {
        var result = new JsonArray();
        foreach (var message in messages.OfType<JsonObject>())
        {
            var role = (string?)message["role"] ?? "user";
            if (message["content"] is not JsonArray parts)
            {
                result.Add(new JsonObject { ["role"] = role, ["content"] = Text(message["content"]) });
                continue;
            }

            var content = new List<JsonObject>();
            var toolCalls = new JsonArray();
            foreach (var part in parts.OfType<JsonObject>())
            {
                switch ((string?)part["type"])
                {
                    case "text":
                        content.Add(new JsonObject { ["type"] = "text", ["text"] = Text(part["text"]) ?? string.Empty });
                        break;
                    case "image":
                        content.Add(ImagePart(Text(part["image"])));
                        break;
                    case "tool-call":
                        toolCalls.Add(ToolCall(Text(part["toolCallId"]), Text(part["toolName"]), part["input"] ?? part["args"]));
                        break;
                    case "tool-result":
                        var output = part["output"] is JsonObject { } typed && typed["value"] is { } value ? value : part["output"] ?? part["result"];
                        result.Add(new JsonObject
                        {
                            ["role"] = "tool",
                            ["tool_call_id"] = Text(part["toolCallId"]),
                            ["content"] = Text(output) ?? string.Empty,
                        });
                        break;
                }
            }

            if (content.Count > 0 || toolCalls.Count > 0)
            {
                var converted = new JsonObject { ["role"] = role, ["content"] = Content(content) };
                if (toolCalls.Count > 0)
                {
                    converted["tool_calls"] = toolCalls;
                }

                result.Add(converted);
            }
        }

        return result;
    }

    /// <summary>The Vercel AI SDK's answer: <c>ai.response.text</c> and <c>ai.response.toolCalls</c>.</summary>
    public static JsonObject? AssistantFromVercel(string? text, JsonNode? toolCalls)
    {
        var calls = toolCalls is JsonArray array
            ? new JsonArray([.. array.OfType<JsonObject>().Select(c => ToolCall(Text(c["toolCallId"]), Text(c["toolName"]), c["input"] ?? c["args"]))])
            : [];
        if (text is null && calls.Count == 0)
        {
            return null;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = text };
        if (calls.Count > 0)
        {
            message["tool_calls"] = calls;
        }

        return message;
    }

    /// <summary>OpenAI tool definitions from GenAI (flat <c>{type, name, parameters}</c>), Vercel or OpenAI shapes.</summary>
    public static JsonObject? ToolDefinition(JsonNode? tool)
    {
        if (tool is not JsonObject definition)
        {
            return null;
        }

        if (definition["function"] is JsonObject)
        {
            return (JsonObject)definition.DeepClone();
        }

        if (Text(definition["name"]) is not { } name)
        {
            return null;
        }

        var function = new JsonObject { ["name"] = name };
        if (Text(definition["description"]) is { } description)
        {
            function["description"] = description;
        }

        if ((definition["parameters"] ?? definition["inputSchema"]) is { } parameters)
        {
            function["parameters"] = OtlpAttributes.ParseIfJson(parameters);
        }

        return new JsonObject { ["type"] = "function", ["function"] = function };
    }

    /// <summary>An assistant answer as recorded output: its text when it is only text, else the message.</summary>
    public static JsonNode Output(JsonObject message) =>
        message["tool_calls"] is JsonArray { Count: > 0 } || message["content"] is not JsonValue content || content.GetValueKind() != JsonValueKind.String
            ? message
            : JsonValue.Create(content.GetValue<string>());

    public static JsonObject ToolCall(string? id, string? name, JsonNode? arguments) => new()
    {
        ["id"] = id,
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = name, ["arguments"] = Text(arguments) ?? "{}" },
    };

    /// <summary>A string as it is; any other JSON value as its JSON text (tool arguments and results are strings).</summary>
    public static string? Text(JsonNode? node) => OtlpAttributes.AsString(node);

    private static JsonNode? Content(List<JsonObject> parts) => parts.Count switch
    {
        0 => null,
        1 when (string?)parts[0]["type"] == "text" => parts[0]["text"]?.DeepClone(),
        _ => new JsonArray([.. parts]),
    };

    private static JsonObject ImagePart(string? url) => new() { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } };

    private static SortedDictionary<int, Dictionary<string, JsonNode?>> Group(Dictionary<string, JsonNode?> fields, string prefix)
    {
        var result = new SortedDictionary<int, Dictionary<string, JsonNode?>>();
        foreach (var (key, value) in fields.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var rest = key[prefix.Length..];
            var dot = rest.IndexOf('.');
            if (dot < 0 || !int.TryParse(rest[..dot], out var index))
            {
                continue;
            }

            if (!result.TryGetValue(index, out var group))
            {
                result[index] = group = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            }

            group[rest[(dot + 1)..]] = value;
        }

        return result;
    }
}
