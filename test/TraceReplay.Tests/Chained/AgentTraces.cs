using System.Text.Json.Nodes;
using TraceReplay.Grains;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Chained;

/// <summary>
/// A three-step support agent recorded with OpenAI-style tool calls: look the order up, cancel it, answer. Each step's
/// input carries the earlier assistant messages and the tool results (by tool_call_id); TOOL spans hold the same results.
/// </summary>
public static class AgentTraces
{
    public const string Tools = """[{"type":"function","function":{"name":"lookup_order","parameters":{"type":"object","properties":{"order_id":{"type":"string"}}}}},{"type":"function","function":{"name":"cancel_order","parameters":{"type":"object","properties":{"order_id":{"type":"string"},"reason":{"type":"string"}}}}}]""";

    public const string LookupResult = """{"status":"processing","order_id":"42"}""";
    public const string CancelResult = """{"cancelled":true}""";
    public const string FinalAnswer = "Order 42 was cancelled.";

    /// <summary>The agent's trace; <paramref name="marker"/> goes into the user's question so a responder can recognise it.</summary>
    public static TraceIngest CancelOrder(string marker)
    {
        var system = new JsonObject { ["role"] = "system", ["content"] = "You are a support agent. Use tools." };
        var user = new JsonObject { ["role"] = "user", ["content"] = $"[{marker}] Please cancel order 42." };
        var lookup = Call("call_1", "lookup_order", """{"order_id":"42"}""");
        var cancel = Call("call_2", "cancel_order", """{"order_id":"42","reason":"customer request"}""");
        var step1 = new JsonArray(system.DeepClone(), user.DeepClone());
        var step2 = new JsonArray(system.DeepClone(), user.DeepClone(), lookup.DeepClone(), ToolMessage("call_1", LookupResult));
        var step3 = new JsonArray(
            system.DeepClone(), user.DeepClone(), lookup.DeepClone(), ToolMessage("call_1", LookupResult), cancel.DeepClone(),
            ToolMessage("call_2", CancelResult));
        return new TraceIngest(SampleTraces.Header("cancel-agent"), [
            SampleTraces.Other("root", null, SpanType.Agent, 0, 4000, $"\"[{marker}] Please cancel order 42.\"", $"\"{FinalAnswer}\""),
            SampleTraces.Llm("step1", "root", 100, 1000, Input(step1), lookup.ToJsonString()),
            Tool("t1", "lookup_order", 1000, 1200, """{"order_id":"42"}""", LookupResult),
            SampleTraces.Llm("step2", "root", 1200, 2200, Input(step2), cancel.ToJsonString()),
            Tool("t2", "cancel_order", 2200, 2500, """{"order_id":"42","reason":"customer request"}""", CancelResult),
            SampleTraces.Llm("step3", "root", 2500, 3900, Input(step3), $"\"{FinalAnswer}\""),
        ]);
    }

    public static JsonObject Call(string id, string name, string argumentsJson) => new()
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = ToolCalls((id, name, argumentsJson)),
    };

    public static JsonArray ToolCalls(params (string Id, string Name, string ArgumentsJson)[] calls) =>
        [.. calls.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.ArgumentsJson },
        })];

    public static JsonObject ToolMessage(string callId, string content) =>
        new() { ["role"] = "tool", ["tool_call_id"] = callId, ["content"] = content };

    /// <summary>The step a request is for, counted by the tool results it carries (0 → step 1); null for other traces.</summary>
    public static int? StepOf(JsonObject request, string marker)
    {
        var messages = request["messages"] as JsonArray ?? [];
        if (!messages.Any(m => ((string?)m?["content"])?.Contains(marker, StringComparison.Ordinal) == true))
        {
            return null;
        }

        return messages.Count(m => (string?)m?["role"] == "tool") + 1;
    }

    /// <summary>A model that decides exactly as the recording did, with its own call ids.</summary>
    public static FakeReply? Agreeing(JsonObject request, string marker) => StepOf(request, marker) switch
    {
        1 => new FakeReply(ToolCalls: ToolCalls(("new_1", "lookup_order", """{ "order_id": "42" }"""))),
        2 => new FakeReply(ToolCalls: ToolCalls(("new_2", "cancel_order", """{"reason":"customer request","order_id":"42"}"""))),
        3 => new FakeReply(Content: "Done: order 42 is cancelled."),
        _ => null,
    };

    private static string Input(JsonArray messages) =>
        new JsonObject { ["messages"] = messages, ["tools"] = JsonNode.Parse(Tools) }.ToJsonString();

    private static SpanData Tool(string id, string name, int startMs, int endMs, string input, string output) =>
        SampleTraces.Other(id, "root", SpanType.Tool, startMs, endMs, input, output) with { Name = name };
}
