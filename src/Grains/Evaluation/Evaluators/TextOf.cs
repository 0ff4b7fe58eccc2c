using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>Turns recorded JSON payloads into the text evaluators compare.</summary>
public static class TextOf
{
    /// <summary>
    /// A JSON string becomes its value; an assistant message becomes its content (or its tool calls when it has no
    /// text); anything else stays JSON text. Null is empty.
    /// </summary>
    public static string Payload(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return string.Empty;
        }

        if (!TryParseJson(json, out var document))
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

    /// <summary>Parses JSON; a JSON string that itself holds a JSON object or array is unwrapped once.</summary>
    public static bool TryParseJson(string? text, [NotNullWhen(true)] out JsonDocument? document)
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
            return TryParseJson(inner, out document);
        }

        return true;
    }
}
