using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Llm;

/// <summary>Reads and writes Anthropic Messages requests and assistant messages.</summary>
public static class AnthropicMessagesProtocol
{
    /// <summary>Anthropic's temperature range; OpenAI's goes to 2.</summary>
    public const double MaxTemperature = 1.0;

    /// <summary>Every top-level field the Messages API accepts; anything else is dropped rather than sent to a 400.</summary>
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "model", "messages", "max_tokens", "system", "tools", "tool_choice", "temperature", "top_p", "top_k",
        "stop_sequences", "metadata", "stream", "thinking", "service_tier", "container", "mcp_servers",
        "context_management", "inference_geo", "output_config", "speed", "cache_control", "diagnostics",
    };

    private static readonly HashSet<string> Structural = new(StringComparer.Ordinal)
    {
        "model", "messages", "max_tokens", "system", "tools", "tool_choice", "stop_sequences", "stream",
    };

    /// <summary>Parameters from another protocol that mean the same here.</summary>
    private static readonly HashSet<string> Portable = new(StringComparer.Ordinal) { "temperature", "top_p", "top_k" };

    public static NeutralRequest Read(JsonObject body)
    {
        var messages = new List<NeutralMessage>();
        foreach (var message in (body["messages"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var role = (string?)message["role"] == "assistant" ? "assistant" : "user";
            var parts = new List<ChatPart>();
            var results = new List<ChatPart>();
            switch (message["content"])
            {
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    parts.Add(new TextChatPart(value.GetValue<string>()));
                    break;
                case JsonArray blocks:
                    foreach (var block in blocks.OfType<JsonObject>())
                    {
                        switch ((string?)block["type"])
                        {
                            case "text":
                                parts.Add(new TextChatPart(ChatPayload.StringOrJson(block["text"]) ?? string.Empty));
                                break;
                            case "image" when block["source"] is JsonObject source:
                                parts.Add(new ImageChatPart((string?)source["url"], (string?)source["media_type"], (string?)source["data"]));
                                break;
                            case "tool_use":
                                parts.Add(new ToolCallChatPart((string?)block["id"] ?? string.Empty, (string?)block["name"] ?? string.Empty, block["input"]?.DeepClone()));
                                break;
                            case "tool_result":
                                results.Add(new ToolResultChatPart(
                                    (string?)block["tool_use_id"] ?? string.Empty,
                                    ChatPayload.ContentText(block["content"]),
                                    block["is_error"] is JsonValue e && e.GetValueKind() == JsonValueKind.True));
                                break;
                        }
                    }

                    break;
            }

            // A user turn's tool results become the tool messages that precede what the user added.
            if (results.Count > 0)
            {
                messages.Add(new NeutralMessage("tool", results));
            }

            if (parts.Count > 0 || results.Count == 0)
            {
                messages.Add(new NeutralMessage(role, parts));
            }
        }

        var tools = (body["tools"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(t => t.ContainsKey("input_schema") || (string?)t["type"] is null or "custom")
            .Select(t => new NeutralTool((string?)t["name"] ?? string.Empty, (string?)t["description"], t["input_schema"]?.DeepClone()))
            .ToList();

        var parameters = new JsonObject();
        foreach (var (name, value) in body.Where(p => !Structural.Contains(p.Key)))
        {
            parameters[name] = value?.DeepClone();
        }

        var system = body["system"] switch
        {
            null => null,
            JsonArray blocks => string.Join("\n\n", blocks.OfType<JsonObject>().Select(b => ChatPayload.StringOrJson(b["text"]) ?? string.Empty)),
            var other => ChatPayload.StringOrJson(other),
        };
        var stop = (body["stop_sequences"] as JsonArray ?? []).Select(s => ChatPayload.StringOrJson(s) ?? string.Empty).ToList();
        return new NeutralRequest(
            system, messages, tools, ReadToolChoice(body["tool_choice"]), null,
            ChatPayload.Number(body["max_tokens"]) is { } max ? (int)max : null, stop, parameters);
    }

    public static TranslatedRequest Write(NeutralRequest request, string model, int defaultMaxTokens)
    {
        var dropped = new List<string>();
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = request.MaxTokens ?? defaultMaxTokens,
        };
        if (!string.IsNullOrEmpty(request.System))
        {
            body["system"] = request.System;
        }

        body["messages"] = WriteMessages(request.Messages);
        if (request.Tools.Count > 0)
        {
            body["tools"] = new JsonArray([.. request.Tools.Select(t =>
            {
                var tool = new JsonObject { ["name"] = t.Name };
                if (t.Description is not null)
                {
                    tool["description"] = t.Description;
                }

                tool["input_schema"] = t.Schema?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
                return (JsonNode)tool;
            })]);
        }

        if (request.ToolChoice is { } choice)
        {
            body["tool_choice"] = choice.Mode switch
            {
                "tool" => new JsonObject { ["type"] = "tool", ["name"] = choice.Name },
                "required" or "any" => new JsonObject { ["type"] = "any" },
                "none" => new JsonObject { ["type"] = "none" },
                _ => new JsonObject { ["type"] = "auto" },
            };
        }

        if (request.ResponseFormat is not null)
        {
            dropped.Add("response_format");
        }

        if (request.StopSequences.Count > 0)
        {
            body["stop_sequences"] = new JsonArray([.. request.StopSequences.Select(s => (JsonNode)s)]);
        }

        foreach (var (name, value) in request.Parameters)
        {
            if (Portable.Contains(name) && value is not null)
            {
                body[name] = value.DeepClone();
            }
            else
            {
                dropped.Add(name);
            }
        }

        ClampTemperature(body);
        return new TranslatedRequest(body, dropped);
    }

    /// <summary>
    /// A request already in Anthropic's protocol, made safe to send: fields the API does not accept removed (and
    /// named), temperature clamped, max_tokens filled in. A valid recorded request comes out unchanged.
    /// </summary>
    public static TranslatedRequest Sanitize(JsonObject body, int defaultMaxTokens)
    {
        var dropped = body.Select(p => p.Key).Where(k => !Known.Contains(k)).ToList();
        foreach (var name in dropped)
        {
            body.Remove(name);
        }

        if (!body.ContainsKey("max_tokens"))
        {
            body["max_tokens"] = defaultMaxTokens;
        }

        ClampTemperature(body);
        return new TranslatedRequest(body, dropped);
    }

    /// <summary>The text and tool calls of an Anthropic assistant message (or a whole Messages response).</summary>
    public static NeutralReply ReadReply(JsonObject message)
    {
        var text = new List<string>();
        var calls = new List<ToolCallChatPart>();
        switch (message["content"])
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                text.Add(value.GetValue<string>());
                break;
            case JsonArray blocks:
                foreach (var block in blocks.OfType<JsonObject>())
                {
                    switch ((string?)block["type"])
                    {
                        case "text":
                            text.Add(ChatPayload.StringOrJson(block["text"]) ?? string.Empty);
                            break;
                        case "tool_use":
                            calls.Add(new ToolCallChatPart((string?)block["id"] ?? string.Empty, (string?)block["name"] ?? string.Empty, block["input"]?.DeepClone()));
                            break;
                    }
                }

                break;
        }

        var joined = string.Concat(text);
        return new NeutralReply(joined.Length == 0 ? null : joined, calls);
    }

    public static JsonObject WriteReply(NeutralReply reply)
    {
        var blocks = new JsonArray();
        if (!string.IsNullOrEmpty(reply.Text))
        {
            blocks.Add(new JsonObject { ["type"] = "text", ["text"] = reply.Text });
        }

        foreach (var call in reply.ToolCalls)
        {
            blocks.Add(ToolUse(call));
        }

        return new JsonObject { ["role"] = "assistant", ["content"] = blocks };
    }

    /// <summary>
    /// Alternating user/assistant turns: tool messages become <c>tool_result</c> blocks of the next user turn (in
    /// order, before the user's own parts), and consecutive messages of one role merge into one turn.
    /// </summary>
    private static JsonArray WriteMessages(IReadOnlyList<NeutralMessage> messages)
    {
        var turns = new List<(string Role, JsonArray Blocks)>();
        foreach (var message in messages)
        {
            var role = message.Role == "assistant" ? "assistant" : "user";
            var blocks = new JsonArray();
            foreach (var part in message.Parts.OrderBy(p => p is ToolResultChatPart ? 0 : 1))
            {
                switch (part)
                {
                    case TextChatPart { Text.Length: > 0 } text:
                        blocks.Add(new JsonObject { ["type"] = "text", ["text"] = text.Text });
                        break;
                    case ImageChatPart image:
                        blocks.Add(ImageBlock(image));
                        break;
                    case ToolCallChatPart call when role == "assistant":
                        blocks.Add(ToolUse(call));
                        break;
                    case ToolResultChatPart result:
                        var block = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = result.ToolCallId, ["content"] = result.Content };
                        if (result.IsError)
                        {
                            block["is_error"] = true;
                        }

                        blocks.Add(block);
                        break;
                }
            }

            if (blocks.Count == 0)
            {
                continue;
            }

            if (turns.Count > 0 && turns[^1].Role == role)
            {
                foreach (var block in blocks.ToList())
                {
                    blocks.Remove(block);
                    turns[^1].Blocks.Add(block);
                }
            }
            else
            {
                turns.Add((role, blocks));
            }
        }

        return new JsonArray([.. turns.Select(t => (JsonNode)new JsonObject
        {
            ["role"] = t.Role,
            ["content"] = t.Blocks.Count == 1 && (string?)t.Blocks[0]!["type"] == "text" ? (string?)t.Blocks[0]!["text"] : t.Blocks,
        })]);
    }

    private static JsonObject ImageBlock(ImageChatPart image)
    {
        var url = image.Url;
        if (url is not null && url.StartsWith("data:", StringComparison.Ordinal) && url.IndexOf(";base64,", StringComparison.Ordinal) is var at and > 5)
        {
            return new JsonObject
            {
                ["type"] = "image",
                ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = url[5..at], ["data"] = url[(at + 8)..] },
            };
        }

        return new JsonObject
        {
            ["type"] = "image",
            ["source"] = url is not null
                ? new JsonObject { ["type"] = "url", ["url"] = url }
                : new JsonObject { ["type"] = "base64", ["media_type"] = image.MediaType ?? "image/png", ["data"] = image.Data },
        };
    }

    private static JsonObject ToolUse(ToolCallChatPart call) => new()
    {
        ["type"] = "tool_use",
        ["id"] = call.Id,
        ["name"] = call.Name,
        ["input"] = call.Arguments is JsonObject ? call.Arguments.DeepClone() : new JsonObject(),
    };

    private static void ClampTemperature(JsonObject body)
    {
        if (ChatPayload.Number(body["temperature"]) is { } temperature && temperature > MaxTemperature)
        {
            body["temperature"] = MaxTemperature;
        }
    }

    private static NeutralToolChoice? ReadToolChoice(JsonNode? choice) => (string?)choice?["type"] switch
    {
        null => null,
        "tool" => new NeutralToolChoice("tool", (string?)choice!["name"]),
        "any" => new NeutralToolChoice("required"),
        var mode => new NeutralToolChoice(mode),
    };
}
