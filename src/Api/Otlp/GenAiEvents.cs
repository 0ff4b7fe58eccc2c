using System.Text.Json.Nodes;

namespace TraceReplay.Api.Otlp;

/// <summary>
/// The OpenTelemetry GenAI events, as span events or as log records: <c>gen_ai.{system,user,assistant,tool}.message</c>
/// (one request message each), <c>gen_ai.choice</c> (one answer) and <c>gen_ai.client.inference.operation.details</c>
/// (<c>gen_ai.input.messages</c> / <c>gen_ai.output.messages</c>), read into OpenAI chat messages.
/// </summary>
public static class GenAiEvents
{
    public const string Choice = "gen_ai.choice";
    public const string OperationDetails = "gen_ai.client.inference.operation.details";

    public static bool IsGenAi(string? name) => RoleOf(name) is not null || name is Choice or OperationDetails;

    public static string? RoleOf(string? name) => name switch
    {
        "gen_ai.system.message" => "system",
        "gen_ai.user.message" => "user",
        "gen_ai.assistant.message" => "assistant",
        "gen_ai.tool.message" => "tool",
        _ => null,
    };

    /// <summary>A message event's body (<c>{content, tool_calls, id}</c>) as a chat message of the event's role.</summary>
    public static JsonObject Message(string role, JsonObject body)
    {
        var message = new JsonObject { ["role"] = role, ["content"] = ChatMessageFormats.Text(body["content"]) };
        if (OtlpAttributes.ParseIfJson(body["tool_calls"]) is JsonArray calls)
        {
            message["tool_calls"] = new JsonArray([.. calls.OfType<JsonObject>().Select(c => ChatMessageFormats.ToolCall(
                (string?)c["id"], (string?)c["function"]?["name"] ?? (string?)c["name"], c["function"]?["arguments"] ?? c["arguments"]))]);
        }

        if (role == "tool" && ChatMessageFormats.Text(body["id"] ?? body["tool_call_id"]) is { } id)
        {
            message["tool_call_id"] = id;
        }

        return message;
    }

    /// <summary>A choice event's body (<c>{index, finish_reason, message}</c>) as the assistant's message.</summary>
    public static JsonObject? ChoiceMessage(JsonObject body)
    {
        var inner = OtlpAttributes.ParseIfJson(body["message"]) as JsonObject ?? body;
        if (inner["content"] is null && inner["tool_calls"] is null)
        {
            return null;
        }

        return Message("assistant", inner);
    }
}
