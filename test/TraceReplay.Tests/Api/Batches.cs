using System.Text.Json.Nodes;

namespace TraceReplay.Tests.Api;

/// <summary>Builds 2Signal ingestion batches as JSON, the way a client sends them.</summary>
internal static class Batches
{
    public static string NewTraceId() => "t-" + Guid.NewGuid().ToString("N");

    public static JsonObject Of(params JsonObject[] events) => new() { ["batch"] = new JsonArray([.. events]) };

    public static JsonObject TraceCreate(string id, string name = "api-test", string[]? tags = null, DateTimeOffset? timestamp = null) => new()
    {
        ["id"] = "ev-" + Guid.NewGuid().ToString("N"),
        ["type"] = "trace-create",
        ["timestamp"] = Time(timestamp ?? DateTimeOffset.UtcNow),
        ["body"] = new JsonObject
        {
            ["id"] = id,
            ["name"] = name,
            ["metadata"] = new JsonObject { ["env"] = "test" },
            ["tags"] = new JsonArray([.. (tags ?? []).Select(t => JsonValue.Create(t))]),
        },
    };

    /// <summary>A span-create event; <paramref name="fields"/> are added to (or replace) the body's defaults.</summary>
    public static JsonObject Span(string traceId, string id, string type, JsonObject? fields = null)
    {
        var body = new JsonObject
        {
            ["trace_id"] = traceId,
            ["id"] = id,
            ["name"] = $"{type.ToLowerInvariant()}-{id}",
            ["type"] = type,
        };
        foreach (var (name, value) in fields ?? [])
        {
            body[name] = value?.DeepClone();
        }

        return new JsonObject
        {
            ["id"] = "ev-" + Guid.NewGuid().ToString("N"),
            ["type"] = "span-create",
            ["timestamp"] = Time(DateTimeOffset.UtcNow),
            ["body"] = body,
        };
    }

    /// <summary>An LLM span asking <paramref name="userText"/> of <paramref name="model"/>, with recorded usage.</summary>
    public static JsonObject LlmSpan(string traceId, string id, string userText, string model = "gpt-4o", string? parent = null,
        DateTimeOffset? start = null, int durationMs = 500, int promptTokens = 100, int completionTokens = 20) =>
        Span(traceId, id, "LLM", new JsonObject
        {
            ["parent_span_id"] = parent,
            ["start_time"] = Time(start ?? DateTimeOffset.UtcNow.AddMinutes(-5)),
            ["end_time"] = Time((start ?? DateTimeOffset.UtcNow.AddMinutes(-5)).AddMilliseconds(durationMs)),
            ["input"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = "You are terse." },
                new JsonObject { ["role"] = "user", ["content"] = userText }),
            ["output"] = "recorded answer to " + userText,
            ["model"] = model,
            ["model_parameters"] = new JsonObject { ["temperature"] = 0.7, ["max_tokens"] = 256 },
            ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens },
        });

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("O");
}
