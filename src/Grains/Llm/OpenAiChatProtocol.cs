using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Llm;

/// <summary>Reads and writes OpenAI chat-completions requests and assistant messages.</summary>
public static class OpenAiChatProtocol
{
    /// <summary>Top-level fields read into the neutral request's own members rather than its parameters.</summary>
    private static readonly HashSet<string> Structural = new(StringComparer.Ordinal)
    {
        "model", "messages", "tools", "tool_choice", "response_format", "max_tokens", "max_completion_tokens", "stop",
        "stream", "stream_options", "functions", "function_call",
    };

    /// <summary>Parameters an OpenAI-compatible endpoint accepts, written as they are.</summary>
    private static readonly HashSet<string> Accepted = new(StringComparer.Ordinal)
    {
        "temperature", "top_p", "frequency_penalty", "presence_penalty", "seed", "logit_bias", "logprobs", "top_logprobs",
        "n", "user", "parallel_tool_calls", "reasoning_effort", "service_tier", "store", "metadata", "modalities",
        "prediction", "audio", "verbosity", "web_search_options", "safety_identifier", "prompt_cache_key",
    };

    public static NeutralRequest Read(JsonObject body)
    {
        var system = new List<string>();
        var messages = new List<NeutralMessage>();
        foreach (var message in (body["messages"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var role = (string?)message["role"] ?? "user";
            switch (role)
            {
                case "system" or "developer":
                    system.Add(ChatPayload.ContentText(message["content"]));
                    break;
                case "tool":
                    messages.Add(new NeutralMessage("tool", [new ToolResultChatPart(
                        (string?)message["tool_call_id"] ?? string.Empty, ChatPayload.ContentText(message["content"]))]));
                    break;
                default:
                    var parts = ReadContent(message["content"]);
                    if (role == "assistant" && message["tool_calls"] is JsonArray calls)
                    {
                        parts.AddRange(calls.OfType<JsonObject>().Select(ReadToolCall));
                    }

                    messages.Add(new NeutralMessage(role == "assistant" ? "assistant" : "user", parts));
                    break;
            }
        }

        var tools = (body["tools"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(t => t["function"] as JsonObject ?? t)
            .Select(f => new NeutralTool((string?)f["name"] ?? string.Empty, (string?)f["description"], f["parameters"]?.DeepClone()))
            .ToList();

        var parameters = new JsonObject();
        foreach (var (name, value) in body.Where(p => !Structural.Contains(p.Key)))
        {
            parameters[name] = value?.DeepClone();
        }

        var stop = body["stop"] switch
        {
            JsonArray array => array.Select(s => ChatPayload.StringOrJson(s) ?? string.Empty).ToList(),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => [value.GetValue<string>()],
            _ => new List<string>(),
        };
        var maxTokens = ChatPayload.Number(body["max_completion_tokens"]) ?? ChatPayload.Number(body["max_tokens"]);
        return new NeutralRequest(
            system.Count == 0 ? null : string.Join("\n\n", system),
            messages,
            tools,
            ReadToolChoice(body["tool_choice"]),
            body["response_format"]?.DeepClone(),
            maxTokens is { } max ? (int)max : null,
            stop,
            parameters);
    }

    public static TranslatedRequest Write(NeutralRequest request, string model)
    {
        var dropped = new List<string>();
        var messages = new JsonArray();
        if (request.System is { } system)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        }

        foreach (var message in request.Messages)
        {
            if (message.Role == "tool")
            {
                foreach (var result in message.Parts.OfType<ToolResultChatPart>())
                {
                    messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = result.ToolCallId, ["content"] = result.Content });
                }

                continue;
            }

            // Anthropic carries tool results in the user turn; here they are tool messages, before the user's own parts.
            foreach (var result in message.Parts.OfType<ToolResultChatPart>())
            {
                messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = result.ToolCallId, ["content"] = result.Content });
            }

            var content = WriteContent(message.Parts);
            var calls = message.Parts.OfType<ToolCallChatPart>().ToList();
            if (content is null && calls.Count == 0)
            {
                continue;
            }

            var written = new JsonObject { ["role"] = message.Role, ["content"] = content };
            if (message.Role == "assistant" && calls.Count > 0)
            {
                written["tool_calls"] = new JsonArray([.. calls.Select(WriteToolCall)]);
            }

            messages.Add(written);
        }

        var body = new JsonObject { ["model"] = model, ["messages"] = messages };
        if (request.Tools.Count > 0)
        {
            body["tools"] = new JsonArray([.. request.Tools.Select(t =>
            {
                var function = new JsonObject { ["name"] = t.Name };
                if (t.Description is not null)
                {
                    function["description"] = t.Description;
                }

                function["parameters"] = t.Schema?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
                return (JsonNode)new JsonObject { ["type"] = "function", ["function"] = function };
            })]);
        }

        if (request.ToolChoice is { } choice)
        {
            body["tool_choice"] = choice.Mode switch
            {
                "tool" => new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = choice.Name } },
                _ => choice.Mode,
            };
        }

        if (request.ResponseFormat is { } format)
        {
            body["response_format"] = format.DeepClone();
        }

        if (request.MaxTokens is { } max)
        {
            body["max_completion_tokens"] = max;
        }

        if (request.StopSequences.Count > 0)
        {
            body["stop"] = new JsonArray([.. request.StopSequences.Select(s => (JsonNode)s)]);
        }

        foreach (var (name, value) in request.Parameters)
        {
            if (Accepted.Contains(name))
            {
                body[name] = value?.DeepClone();
            }
            else
            {
                dropped.Add(name);
            }
        }

        return new TranslatedRequest(body, dropped);
    }

    /// <summary>The text and tool calls of an OpenAI assistant message.</summary>
    public static NeutralReply ReadReply(JsonObject message)
    {
        var calls = (message["tool_calls"] as JsonArray ?? []).OfType<JsonObject>().Select(ReadToolCall).ToList();
        var text = message["content"] is null ? null : ChatPayload.ContentText(message["content"]);
        return new NeutralReply(string.IsNullOrEmpty(text) ? null : text, calls);
    }

    public static JsonObject WriteReply(NeutralReply reply)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text };
        if (reply.ToolCalls.Count > 0)
        {
            message["tool_calls"] = new JsonArray([.. reply.ToolCalls.Select(WriteToolCall)]);
        }

        return message;
    }

    private static List<ChatPart> ReadContent(JsonNode? content)
    {
        var parts = new List<ChatPart>();
        switch (content)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                parts.Add(new TextChatPart(value.GetValue<string>()));
                break;
            case JsonArray array:
                foreach (var part in array.OfType<JsonObject>())
                {
                    switch ((string?)part["type"])
                    {
                        case "image_url":
                            var url = (string?)part["image_url"]?["url"] ?? ChatPayload.StringOrJson(part["image_url"]);
                            parts.Add(new ImageChatPart(url, null, null));
                            break;
                        default:
                            if (ChatPayload.StringOrJson(part["text"]) is { } text)
                            {
                                parts.Add(new TextChatPart(text));
                            }

                            break;
                    }
                }

                break;
        }

        return parts;
    }

    private static JsonNode? WriteContent(IReadOnlyList<ChatPart> parts)
    {
        var content = parts.Where(p => p is TextChatPart or ImageChatPart).ToList();
        if (content.Count == 0)
        {
            return null;
        }

        if (content.All(p => p is TextChatPart))
        {
            return string.Concat(content.Cast<TextChatPart>().Select(t => t.Text));
        }

        return new JsonArray([.. content.Select(p => (JsonNode)(p switch
        {
            ImageChatPart image => new JsonObject
            {
                ["type"] = "image_url",
                ["image_url"] = new JsonObject { ["url"] = image.Url ?? $"data:{image.MediaType ?? "image/png"};base64,{image.Data}" },
            },
            TextChatPart text => new JsonObject { ["type"] = "text", ["text"] = text.Text },
            _ => new JsonObject(),
        }))]);
    }

    private static ToolCallChatPart ReadToolCall(JsonObject call)
    {
        var function = call["function"] as JsonObject ?? call;
        return new ToolCallChatPart((string?)call["id"] ?? string.Empty, (string?)function["name"] ?? string.Empty, ChatPayload.Arguments(function["arguments"]));
    }

    private static JsonNode WriteToolCall(ToolCallChatPart call) => new JsonObject
    {
        ["id"] = call.Id,
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = call.Name,
            ["arguments"] = call.Arguments is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : (call.Arguments ?? new JsonObject()).ToJsonString(),
        },
    };

    private static NeutralToolChoice? ReadToolChoice(JsonNode? choice) => choice switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => new NeutralToolChoice(value.GetValue<string>()),
        JsonObject o when (string?)o["function"]?["name"] is { } name => new NeutralToolChoice("tool", name),
        _ => null,
    };
}
