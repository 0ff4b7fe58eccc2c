using System.Text;
using System.Text.Json;

namespace TraceReplay.Grains.Llm.Simulation;

/// <summary>
/// Reads a chat-completions request body into a <see cref="SimulatedPrompt"/>, or says what is wrong with it in the
/// words a provider's 400 would use.
/// </summary>
internal static class SimulatedRequestReader
{
    public static bool TryRead(string? body, out SimulatedPrompt prompt, out string error)
    {
        prompt = null!;
        if (string.IsNullOrWhiteSpace(body))
        {
            error = "The request body is empty; expected a chat-completions JSON object.";
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            error = $"The request body is not valid JSON: {ex.Message}";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind is not JsonValueKind.Object)
            {
                error = "The request body must be a JSON object.";
                return false;
            }

            if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind is not JsonValueKind.Array)
            {
                error = "The request body has no \"messages\" array.";
                return false;
            }

            var messages = new List<PromptMessage>();
            var index = 0;
            foreach (var element in messagesElement.EnumerateArray())
            {
                if (!TryReadMessage(element, index, out var message, out error))
                {
                    return false;
                }

                messages.Add(message);
                index++;
            }

            if (!TryReadMaxTokens(root, out var maxTokens, out error))
            {
                return false;
            }

            var toolsJson = root.TryGetProperty("tools", out var tools) && tools.ValueKind is JsonValueKind.Array
                ? JsonSerializer.Serialize(tools)
                : null;
            var (format, schema) = ReadResponseFormat(root);
            prompt = new SimulatedPrompt(messages, toolsJson, format, schema, maxTokens);
            error = string.Empty;
            return true;
        }
    }

    private static bool TryReadMessage(JsonElement element, int index, out PromptMessage message, out string error)
    {
        message = null!;
        if (element.ValueKind is not JsonValueKind.Object)
        {
            error = $"messages[{index}] must be a JSON object.";
            return false;
        }

        if (!element.TryGetProperty("role", out var role) || role.ValueKind is not JsonValueKind.String)
        {
            error = $"messages[{index}] has no \"role\" string.";
            return false;
        }

        var text = new StringBuilder();
        var images = 0;
        if (element.TryGetProperty("content", out var content))
        {
            switch (content.ValueKind)
            {
                case JsonValueKind.String:
                    text.Append(content.GetString());
                    break;
                case JsonValueKind.Array:
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.ValueKind is JsonValueKind.String)
                        {
                            AppendLine(text, part.GetString());
                        }
                        else if (part.ValueKind is JsonValueKind.Object)
                        {
                            var type = StringProperty(part, "type");
                            if (StringProperty(part, "text") is { } partText)
                            {
                                AppendLine(text, partText);
                            }
                            else if (type is "image_url" or "input_image" or "image")
                            {
                                images++;
                            }
                        }
                        else
                        {
                            error = $"messages[{index}].content[] must hold content-part objects.";
                            return false;
                        }
                    }

                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    error = $"messages[{index}].content must be a string, an array of content parts or null.";
                    return false;
            }
        }

        var toolCalls = new StringBuilder();
        if (element.TryGetProperty("tool_calls", out var calls) && calls.ValueKind is JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind is JsonValueKind.Object
                    && call.TryGetProperty("function", out var function)
                    && function.ValueKind is JsonValueKind.Object)
                {
                    AppendLine(toolCalls, StringProperty(function, "name"));
                    AppendLine(toolCalls, StringProperty(function, "arguments"));
                }
            }
        }

        message = new PromptMessage(role.GetString()!, text.ToString(), toolCalls.ToString(), images, StringProperty(element, "name"));
        error = string.Empty;
        return true;
    }

    private static bool TryReadMaxTokens(JsonElement root, out int? maxTokens, out string error)
    {
        maxTokens = null;
        error = string.Empty;
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind is JsonValueKind.Null)
            {
                continue;
            }

            if (value.ValueKind is not JsonValueKind.Number || !value.TryGetInt32(out var limit) || limit < 1)
            {
                error = $"\"{name}\" must be a positive integer.";
                return false;
            }

            maxTokens = limit;
            return true;
        }

        return true;
    }

    private static (ResponseFormat Format, JsonElement? Schema) ReadResponseFormat(JsonElement root)
    {
        if (!root.TryGetProperty("response_format", out var format)
            || format.ValueKind is not JsonValueKind.Object
            || StringProperty(format, "type") is not { } type)
        {
            return (ResponseFormat.Text, null);
        }

        switch (type)
        {
            case "json_object":
                return (ResponseFormat.Json, null);
            case "json_schema":
                // Clone: the schema outlives the parsed document.
                return format.TryGetProperty("json_schema", out var jsonSchema)
                    && jsonSchema.ValueKind is JsonValueKind.Object
                    && jsonSchema.TryGetProperty("schema", out var schema)
                    && schema.ValueKind is JsonValueKind.Object
                    ? (ResponseFormat.Json, schema.Clone())
                    : (ResponseFormat.Json, null);
            default:
                return (ResponseFormat.Text, null);
        }
    }

    private static void AppendLine(StringBuilder builder, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append('\n');
        }

        builder.Append(value);
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String ? value.GetString() : null;
}
