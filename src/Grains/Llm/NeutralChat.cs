using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Llm;

/// <summary>The wire protocols a recorded LLM call or a provider can speak.</summary>
public static class LlmWireFormat
{
    /// <summary>OpenAI chat completions (also Azure OpenAI and every OpenAI-compatible endpoint).</summary>
    public const string OpenAi = "openai";

    /// <summary>Anthropic Messages.</summary>
    public const string Anthropic = "anthropic";

    /// <summary>
    /// The protocol a recorded request was written in, read from its shape: Anthropic for a top-level <c>system</c>,
    /// <c>tool_use</c>/<c>tool_result</c> blocks or tools with <c>input_schema</c>; OpenAI for system/tool roles,
    /// <c>tool_calls</c> or an array of messages (what OTLP ingestion stores). When the shape fits both (plain user and
    /// assistant text), span metadata naming the provider (<c>gen_ai.provider.name</c> anthropic) decides, else the
    /// recorded model: <c>claude*</c> is Anthropic.
    /// </summary>
    public static string Detect(JsonNode? input, string? model, string? metadataJson = null)
    {
        if (input is not JsonObject body)
        {
            return OpenAi;
        }

        if (body.ContainsKey("system") || body.ContainsKey("stop_sequences") || body.ContainsKey("top_k"))
        {
            return Anthropic;
        }

        if (body["tools"] is JsonArray tools && tools.OfType<JsonObject>().Any(t => t.ContainsKey("input_schema")))
        {
            return Anthropic;
        }

        if (body["messages"] is JsonArray messages)
        {
            foreach (var message in messages.OfType<JsonObject>())
            {
                var role = (string?)message["role"];
                if (role is "system" or "developer" or "tool" || message.ContainsKey("tool_calls"))
                {
                    return OpenAi;
                }

                if (message["content"] is JsonArray blocks)
                {
                    if (blocks.OfType<JsonObject>().Any(b => (string?)b["type"] is "tool_use" or "tool_result" or "image" or "document" or "thinking"))
                    {
                        return Anthropic;
                    }

                    if (blocks.OfType<JsonObject>().Any(b => (string?)b["type"] is "image_url" or "input_audio" or "file"))
                    {
                        return OpenAi;
                    }
                }
            }
        }

        // The shape fits both protocols: what the instrumentation said about the provider, else the model's name.
        if (MetadataProvider(metadataJson) is { } provider)
        {
            return provider;
        }

        return model is not null && model.StartsWith("claude", StringComparison.OrdinalIgnoreCase) ? Anthropic : OpenAi;
    }

    private static string? MetadataProvider(string? metadataJson)
    {
        if (metadataJson is null || !metadataJson.Contains("anthropic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (ChatPayload.ParseObjectOrNull(metadataJson) is { } metadata)
        {
            foreach (var key in (ReadOnlySpan<string>)["gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "provider"])
            {
                if (metadata[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String
                    && string.Equals(value.GetValue<string>(), Anthropic, StringComparison.OrdinalIgnoreCase))
                {
                    return Anthropic;
                }
            }
        }

        return null;
    }
}

/// <summary>One part of a neutral chat message.</summary>
public abstract record ChatPart;

/// <summary>Text.</summary>
public sealed record TextChatPart(string Text) : ChatPart;

/// <summary>An image: a URL (http or data:) or base64 data with its media type.</summary>
public sealed record ImageChatPart(string? Url, string? MediaType, string? Data) : ChatPart;

/// <summary>A tool call the assistant made; arguments as parsed JSON (a string when they were not JSON).</summary>
public sealed record ToolCallChatPart(string Id, string Name, JsonNode? Arguments) : ChatPart;

/// <summary>A tool's answer to the call <see cref="ToolCallId"/>.</summary>
public sealed record ToolResultChatPart(string ToolCallId, string Content, bool IsError = false) : ChatPart;

/// <summary>A neutral message: role user, assistant or tool (a tool message holds tool results only).</summary>
public sealed record NeutralMessage(string Role, IReadOnlyList<ChatPart> Parts);

/// <summary>A tool the model may call: name, description and JSON schema of its input.</summary>
public sealed record NeutralTool(string Name, string? Description, JsonNode? Schema);

/// <summary>How the model may use tools: auto, none, required (any tool), or the tool <see cref="Name"/>.</summary>
public sealed record NeutralToolChoice(string Mode, string? Name = null);

/// <summary>
/// A recorded LLM call in neither provider's protocol: system instructions, messages, tools, tool choice, response
/// format and parameters. Parameters keep their wire names; the writers map the ones they know and drop the rest.
/// </summary>
public sealed record NeutralRequest(
    string? System,
    IReadOnlyList<NeutralMessage> Messages,
    IReadOnlyList<NeutralTool> Tools,
    NeutralToolChoice? ToolChoice,
    JsonNode? ResponseFormat,
    int? MaxTokens,
    IReadOnlyList<string> StopSequences,
    JsonObject Parameters);

/// <summary>An assistant's answer in neither provider's protocol: its text and tool calls.</summary>
public sealed record NeutralReply(string? Text, IReadOnlyList<ToolCallChatPart> ToolCalls);

/// <summary>A request written in a provider's protocol, and the parameters the target does not accept.</summary>
public sealed record TranslatedRequest(JsonObject Body, IReadOnlyList<string> DroppedParameters);
