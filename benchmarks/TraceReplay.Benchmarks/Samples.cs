using System.Text;
using System.Text.Json.Nodes;
using TraceReplay.Grains;

namespace TraceReplay.Benchmarks;

/// <summary>Hand-made inputs shaped like the traces the load driver ingests: a root span and N LLM spans.</summary>
public static class Samples
{
    public static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TraceData Trace(string id, int llmSpans, string answer = "recorded answer")
    {
        var spans = new List<SpanData> { new("root", null, "agent", SpanType.Agent, At, At.AddSeconds(2), null, null, null, null, null, null, null, SpanStatus.Ok, null) };
        for (var i = 0; i < llmSpans; i++)
        {
            var input = new JsonObject
            {
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "system", ["content"] = "You are a concise support agent." },
                    new JsonObject { ["role"] = "user", ["content"] = $"Question {i}: where is my order {id}?" }),
            }.ToJsonString();
            var output = new JsonObject { ["role"] = "assistant", ["content"] = $"{answer} {i}" }.ToJsonString();
            spans.Add(new SpanData($"s{i}", "root", $"llm-{i}", SpanType.Llm, At.AddMilliseconds(100 * i), At.AddMilliseconds(100 * i + 80),
                input, output, "gpt-4o-mini", """{"temperature":0.2}""", 40, 10, 0.0001m, SpanStatus.Ok, null));
        }

        return new TraceData(id, "bench-agent", null, ["bench"], At, At, spans, null, true);
    }

    /// <summary>An ingestion batch body of <paramref name="traces"/> traces × (root + <paramref name="llmSpans"/> LLM spans).</summary>
    public static byte[] Batch(int traces, int llmSpans)
    {
        var events = new JsonArray();
        for (var t = 0; t < traces; t++)
        {
            var id = $"trace-{t}";
            events.Add(Event("trace-create", new JsonObject { ["id"] = id, ["name"] = "bench-agent", ["timestamp"] = "2026-01-01T00:00:00Z" }));
            events.Add(Event("span-create", new JsonObject { ["trace_id"] = id, ["id"] = "root", ["name"] = "agent", ["type"] = "AGENT" }));
            for (var s = 0; s < llmSpans; s++)
            {
                events.Add(Event("span-create", new JsonObject
                {
                    ["trace_id"] = id, ["id"] = $"s{s}", ["parent_span_id"] = "root", ["name"] = $"llm-{s}", ["type"] = "LLM", ["model"] = "gpt-4o-mini",
                    ["start_time"] = "2026-01-01T00:00:00Z", ["end_time"] = "2026-01-01T00:00:01Z",
                    ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"question {s}" }) },
                    ["output"] = $"answer {s}", ["usage"] = new JsonObject { ["prompt_tokens"] = 40, ["completion_tokens"] = 10 },
                }));
            }
        }

        return Encoding.UTF8.GetBytes(new JsonObject { ["batch"] = events }.ToJsonString());
    }

    /// <summary>An OTLP/JSON export of one trace: a root span and <paramref name="llmSpans"/> GenAI chat spans.</summary>
    public static byte[] OtlpJson(int llmSpans)
    {
        static JsonObject Attribute(string key, string value) => new() { ["key"] = key, ["value"] = new JsonObject { ["stringValue"] = value } };
        static JsonObject IntAttribute(string key, int value) => new() { ["key"] = key, ["value"] = new JsonObject { ["intValue"] = value.ToString() } };
        const string traceId = "5b8efff798038103d269b633813fc60c";
        var spans = new JsonArray(new JsonObject
        {
            ["traceId"] = traceId, ["spanId"] = "eee19b7ec3c1b100", ["name"] = "agent", ["kind"] = 1,
            ["startTimeUnixNano"] = "1767225600000000000", ["endTimeUnixNano"] = "1767225602000000000",
        });
        for (var i = 0; i < llmSpans; i++)
        {
            spans.Add(new JsonObject
            {
                ["traceId"] = traceId, ["spanId"] = $"eee19b7ec3c1b1{i:x2}", ["parentSpanId"] = "eee19b7ec3c1b100", ["name"] = "chat gpt-4o-mini", ["kind"] = 3,
                ["startTimeUnixNano"] = "1767225600100000000", ["endTimeUnixNano"] = "1767225600900000000",
                ["attributes"] = new JsonArray(
                    Attribute("gen_ai.operation.name", "chat"), Attribute("gen_ai.request.model", "gpt-4o-mini"),
                    Attribute("gen_ai.prompt.0.role", "system"), Attribute("gen_ai.prompt.0.content", "You are a concise support agent."),
                    Attribute("gen_ai.prompt.1.role", "user"), Attribute("gen_ai.prompt.1.content", $"Question {i}: where is my order?"),
                    Attribute("gen_ai.completion.0.role", "assistant"), Attribute("gen_ai.completion.0.content", $"It ships tomorrow ({i})."),
                    IntAttribute("gen_ai.usage.input_tokens", 40), IntAttribute("gen_ai.usage.output_tokens", 10)),
            });
        }

        var request = new JsonObject
        {
            ["resourceSpans"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject { ["attributes"] = new JsonArray(Attribute("service.name", "bench-agent")) },
                ["scopeSpans"] = new JsonArray(new JsonObject { ["spans"] = spans }),
            }),
        };
        return Encoding.UTF8.GetBytes(request.ToJsonString());
    }

    private static JsonObject Event(string type, JsonObject body) =>
        new() { ["id"] = Guid.NewGuid().ToString("N"), ["type"] = type, ["timestamp"] = "2026-01-01T00:00:00Z", ["body"] = body };
}
