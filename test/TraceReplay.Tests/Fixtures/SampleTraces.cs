using System.Text.Json.Nodes;
using TraceReplay.Grains;

namespace TraceReplay.Tests.Fixtures;

/// <summary>Hand-made traces with known contents.</summary>
public static class SampleTraces
{
    public static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddMinutes(-5);

    public const string ToolsJson = """[{"type":"function","function":{"name":"lookup_order","description":"Find an order","parameters":{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}}}]""";

    public const string ToolCallMessageJson = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":\"42\"}"}}]}""";

    public static SpanData Llm(string id, string? parent, int startMs, int endMs, string inputJson, string outputJson, string model = "gpt-4o",
        string? parameters = """{"temperature":0.7,"max_tokens":256}""") =>
        new(id, parent, "llm-" + id, SpanType.Llm, Start.AddMilliseconds(startMs), Start.AddMilliseconds(endMs), inputJson, outputJson,
            model, parameters, 100, 20, null, SpanStatus.Ok, null);

    public static SpanData Other(string id, string? parent, SpanType type, int startMs, int endMs, string? input, string? output) =>
        new(id, parent, type.ToString().ToLowerInvariant() + "-" + id, type, Start.AddMilliseconds(startMs), Start.AddMilliseconds(endMs),
            input, output, null, null, null, null, null, SpanStatus.Ok, """{"source":"test"}""");

    public static string Messages(params (string Role, string Content)[] messages) =>
        new JsonArray([.. messages.Select(m => new JsonObject { ["role"] = m.Role, ["content"] = m.Content })]).ToJsonString();

    public static TraceHeader Header(string name = "test-agent", params string[] tags) =>
        new(name, """{"env":"test"}""", tags, Start);

    /// <summary>
    /// An agent: retrieval, an LLM call that calls a tool, the tool, and a final LLM answer the root repeats. A
    /// <paramref name="tag"/> goes into the question.
    /// </summary>
    public static TraceIngest Agent(string model = "gpt-4o", string? tag = null)
    {
        var question = tag is null ? "Where is my order 42?" : $"Where is my order 42? {tag}";
        var final = "Your order 42 is on its way.";
        var first = $$"""{"messages":[{"role":"system","content":"You help customers."},{"role":"user","content":"{{question}}"}],"tools":{{ToolsJson}}}""";
        var second = $$"""{"messages":[{"role":"system","content":"You help customers."},{"role":"user","content":"{{question}}"},{{ToolCallMessageJson}},{"role":"tool","tool_call_id":"call_1","content":"{\"status\":\"shipped\"}"}],"tools":{{ToolsJson}},"tool_choice":"auto"}""";
        return new TraceIngest(Header(), [
            Other("root", null, SpanType.Agent, 0, 3000, $$"""{"question":"{{question}}"}""", $"\"{final}\""),
            Other("search", "root", SpanType.Retrieval, 10, 100, """{"query":"order 42"}""", """{"docs":["Orders ship in 2 days."]}"""),
            Llm("plan", "root", 100, 1100, first, ToolCallMessageJson, model),
            Other("tool", "root", SpanType.Tool, 1100, 1300, """{"order_id":"42"}""", """{"status":"shipped"}"""),
            Llm("answer", "root", 1300, 2900, second, $"\"{final}\"", model),
        ]);
    }

    /// <summary>
    /// A chain with <paramref name="llmSpans"/> independent LLM calls; a <paramref name="tag"/> goes into every message,
    /// so a test can pick its own requests out of a shared fake server's log.
    /// </summary>
    public static TraceIngest Chain(int llmSpans, string model = "gpt-4o-mini", string? tag = null)
    {
        var spans = new List<SpanData> { Other("root", null, SpanType.Chain, 0, llmSpans * 1000 + 10, "\"go\"", "\"done\"") };
        for (var i = 0; i < llmSpans; i++)
        {
            spans.Add(Llm($"l{i}", "root", i * 1000, i * 1000 + 900, Messages(("user", tag is null ? $"step {i}" : $"step {i} {tag}")), $"\"answer {i}\"", model));
        }

        return new TraceIngest(Header("chain"), spans);
    }
}
