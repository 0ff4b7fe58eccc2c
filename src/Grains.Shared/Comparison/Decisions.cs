using System.Text.Json;
using System.Text.Json.Nodes;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Comparison;

/// <summary>What an LLM span decided to do next.</summary>
public enum DecisionKind
{
    Answer = 0,
    ToolCalls = 1,
}

/// <summary>One side's decision: answer, or call these tools (names in call order).</summary>
public sealed record Decision(DecisionKind Kind, IReadOnlyList<string> Tools)
{
    /// <summary>"answer" or "tool_calls lookup_order, cancel_order": how divergences name a decision.</summary>
    public string Describe() => Kind == DecisionKind.Answer ? "answer" : $"tool_calls {string.Join(", ", Tools)}";
}

/// <summary>Whether one replayed LLM span decided as the original did, and if not, why.</summary>
public sealed record DecisionDiff(string SpanId, bool Same, Decision Original, Decision Replay, string? Reason);

/// <summary>The decision diff of every replayed LLM span of a comparison, and the share that agreed.</summary>
public sealed record DecisionComparison(double? AgreementRate, IReadOnlyList<DecisionDiff> Spans)
{
    public static DecisionComparison Of(IReadOnlyList<DecisionDiff> spans) =>
        new(spans.Count == 0 ? null : (double)spans.Count(s => s.Same) / spans.Count, spans);
}

/// <summary>
/// Compares the decisions of two LLM outputs: the same choice between answering and calling tools, the same tools with
/// JSON-equal arguments (<see cref="ToolCallComparison"/>), and — when either answer is a JSON object or array —
/// structurally equal JSON (<see cref="JsonStructure"/>). Free-text answers that differ in wording decide the same.
/// </summary>
public static class DecisionComparer
{
    public static Decision DecisionOf(JsonNode? output)
    {
        var calls = ChatPayload.ToolCalls(output);
        return calls.Count > 0 ? new Decision(DecisionKind.ToolCalls, [.. calls.Select(c => c.Name)]) : new Decision(DecisionKind.Answer, []);
    }

    public static DecisionDiff Compare(string spanId, string? originalOutputJson, string? replayOutputJson)
    {
        var original = ChatPayload.Parse(originalOutputJson);
        var replay = ChatPayload.Parse(replayOutputJson);
        var (a, b) = (DecisionOf(original), DecisionOf(replay));
        var reason = Reason(original, replay, a, b);
        return new DecisionDiff(spanId, reason is null, a, b, reason);
    }

    /// <summary>Why the decisions differ, or null when they agree.</summary>
    private static string? Reason(JsonNode? original, JsonNode? replay, Decision a, Decision b)
    {
        if (a.Kind != b.Kind)
        {
            return a.Kind == DecisionKind.ToolCalls
                ? $"the original called {string.Join(", ", a.Tools)}; the replay answered"
                : $"the original answered; the replay called {string.Join(", ", b.Tools)}";
        }

        if (a.Kind == DecisionKind.ToolCalls)
        {
            var calls = ToolCallComparison.Of(ChatPayload.ToolCalls(original), ChatPayload.ToolCalls(replay));
            if (calls.Same)
            {
                return null;
            }

            var first = calls.Differences[0];
            return first.NameA != first.NameB
                ? $"tool call {first.Index + 1}: {first.NameA ?? "none"} became {first.NameB ?? "none"}"
                : $"tool call {first.Index + 1} ({first.NameA}): arguments differ at {first.ArgumentDifferences[0].Path}";
        }

        var (jsonA, jsonB) = (StructuredAnswer(original), StructuredAnswer(replay));
        if (jsonA is null && jsonB is null)
        {
            return null;
        }

        var differences = JsonStructure.Differences(jsonA, jsonB, limit: 1);
        return differences.Count == 0 ? null
            : jsonA is null ? "the replay answered with JSON where the original answered with text"
            : jsonB is null ? "the original answered with JSON; the replay did not"
            : $"the JSON answers differ at {differences[0].Path}";
    }

    /// <summary>An answer's JSON object or array (also text that parses as one), or null for free text.</summary>
    private static JsonNode? StructuredAnswer(JsonNode? output) => output switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => ChatPayload.ParseStructured(v.GetValue<string>()),
        JsonObject o when ChatPayload.IsMessage(o) => ChatPayload.ParseStructured(ChatPayload.Text(o)),
        JsonObject or JsonArray => output,
        _ => null,
    };

}
