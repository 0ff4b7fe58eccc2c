using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Writes a recorded request in a provider's protocol. Same protocol: the recorded body as it is, with only the model
/// (and, for Anthropic, what the API would refuse) changed. Another protocol: read into a <see cref="NeutralRequest"/>
/// and written out, naming every parameter the target does not accept.
/// </summary>
public static class ChatTranslator
{
    public static TranslatedRequest Translate(string requestBodyJson, string sourceFormat, string targetFormat, string model, int defaultMaxTokens)
    {
        JsonObject body;
        try
        {
            body = JsonNode.Parse(requestBodyJson) as JsonObject
                ?? throw new LlmProviderException("the request body is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new LlmProviderException($"the request body is not valid JSON: {ex.Message}");
        }

        // The answer is parsed as one JSON document, so a recorded streaming call is replayed without streaming.
        body.Remove("stream");
        body.Remove("stream_options");

        if (sourceFormat == targetFormat)
        {
            body["model"] = model;
            return targetFormat == LlmWireFormat.Anthropic
                ? AnthropicMessagesProtocol.Sanitize(body, defaultMaxTokens)
                : new TranslatedRequest(body, []);
        }

        var neutral = Read(body, sourceFormat);
        return targetFormat == LlmWireFormat.Anthropic
            ? AnthropicMessagesProtocol.Write(neutral, model, defaultMaxTokens)
            : OpenAiChatProtocol.Write(neutral, model);
    }

    public static NeutralRequest Read(JsonObject body, string format) =>
        format == LlmWireFormat.Anthropic ? AnthropicMessagesProtocol.Read(body) : OpenAiChatProtocol.Read(body);

    /// <summary>The protocol an assistant message is written in, judged by its shape.</summary>
    public static string ReplyFormat(JsonObject message) =>
        message.ContainsKey("tool_calls") || message["content"] is not JsonArray blocks
            ? LlmWireFormat.OpenAi
            : (string?)message["type"] == "message" || blocks.OfType<JsonObject>().Any(b => (string?)b["type"] is "tool_use" or "thinking" or "redacted_thinking")
                ? LlmWireFormat.Anthropic
                : LlmWireFormat.OpenAi;

    /// <summary>An assistant message in <paramref name="targetFormat"/>; unchanged when it already is.</summary>
    public static JsonObject ConvertReply(JsonObject message, string targetFormat)
    {
        var format = ReplyFormat(message);
        if (format == targetFormat)
        {
            return message;
        }

        var reply = format == LlmWireFormat.Anthropic ? AnthropicMessagesProtocol.ReadReply(message) : OpenAiChatProtocol.ReadReply(message);
        return targetFormat == LlmWireFormat.Anthropic ? AnthropicMessagesProtocol.WriteReply(reply) : OpenAiChatProtocol.WriteReply(reply);
    }
}
