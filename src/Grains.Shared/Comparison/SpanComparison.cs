using System.Text;
using System.Text.Json.Nodes;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Comparison;

/// <summary>What happened to a span between A and B.</summary>
public enum SpanChange
{
    Same = 0,
    Changed = 1,
    Added = 2,
    Removed = 3,
}

/// <summary>A model parameter whose value differs; null on a side where the key is absent.</summary>
public sealed record ParameterDifference(string Key, JsonNode? A, JsonNode? B);

/// <summary>
/// How an input or output differs: a text diff for text (an LLM answer's text, a transcript of LLM input messages)
/// and/or JSON differences for structured values. Present only where the two sides differ.
/// </summary>
public sealed record ValueDiff(TextDiff? Text, IReadOnlyList<JsonDifference> Json);

/// <summary>What an LLM span changed besides its text: the model, the parameters key by key, and the tool decisions.</summary>
public sealed record LlmSpanComparison(
    string? ModelA,
    string? ModelB,
    bool ModelChanged,
    IReadOnlyList<ParameterDifference> ParameterDifferences,
    ToolCallComparison ToolCalls);

/// <summary>
/// One aligned span. A pair is Changed when its model, parameters, input, output (text, tool calls, or JSON compared
/// as JSON) or status differ — duration, tokens and cost alone do not make it changed; they are in the metrics.
/// <see cref="ChangedFields"/> names what differs: model, parameters, input, output, tool_calls, status.
/// </summary>
public sealed record SpanComparison(
    string? SpanIdA,
    string? SpanIdB,
    string Name,
    SpanType Type,
    int Depth,
    SpanChange Change,
    IReadOnlyList<string> ChangedFields,
    double? DurationMsA,
    double? DurationMsB,
    double? DurationDeltaMs,
    ValueDiff? Input,
    ValueDiff? Output,
    LlmSpanComparison? Llm);

/// <summary>Compares the two spans of an aligned pair.</summary>
public static class SpanComparer
{
    public static SpanComparison Compare(AlignedSpan aligned)
    {
        var (a, b) = (aligned.A, aligned.B);
        var any = a ?? b ?? throw new ArgumentException("An aligned span has at least one side.", nameof(aligned));
        if (a is null || b is null)
        {
            return new SpanComparison(a?.Id, b?.Id, any.Name, any.Type, aligned.Depth, a is null ? SpanChange.Added : SpanChange.Removed,
                [], a?.DurationMs, b?.DurationMs, null, null, null, null);
        }

        var changed = new List<string>();
        var isLlm = a.Type == SpanType.Llm || b.Type == SpanType.Llm;
        LlmSpanComparison? llm = null;
        if (isLlm)
        {
            var parameters = ParameterDifferences(a.ModelParametersJson, b.ModelParametersJson);
            var toolCalls = ToolCallComparison.Of(
                ChatPayload.ToolCalls(ChatPayload.Parse(a.OutputJson)), ChatPayload.ToolCalls(ChatPayload.Parse(b.OutputJson)));
            llm = new LlmSpanComparison(a.Model, b.Model, !string.Equals(a.Model, b.Model, StringComparison.Ordinal), parameters, toolCalls);
            if (llm.ModelChanged)
            {
                changed.Add("model");
            }

            if (parameters.Count > 0)
            {
                changed.Add("parameters");
            }
        }

        var input = isLlm ? LlmInputDiff(a.InputJson, b.InputJson) : ValueDiffOf(a.InputJson, b.InputJson);
        if (input is not null)
        {
            changed.Add("input");
        }

        var output = isLlm ? LlmOutputDiff(a.OutputJson, b.OutputJson) : ValueDiffOf(a.OutputJson, b.OutputJson);
        if (output is not null)
        {
            changed.Add("output");
        }

        if (llm is { ToolCalls.Same: false })
        {
            changed.Add("tool_calls");
        }

        if (a.Status != b.Status)
        {
            changed.Add("status");
        }

        return new SpanComparison(a.Id, b.Id, b.Name, b.Type, aligned.Depth, changed.Count == 0 ? SpanChange.Same : SpanChange.Changed,
            changed, a.DurationMs, b.DurationMs, b.DurationMs - a.DurationMs, input, output, llm);
    }

    /// <summary>Key by key over the union of keys; values compared as JSON.</summary>
    public static IReadOnlyList<ParameterDifference> ParameterDifferences(string? a, string? b)
    {
        var x = ChatPayload.Parse(a) as JsonObject ?? [];
        var y = ChatPayload.Parse(b) as JsonObject ?? [];
        return [.. x.Select(p => p.Key).Union(y.Select(p => p.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Where(key => x.ContainsKey(key) != y.ContainsKey(key) || !JsonStructure.AreEqual(x[key], y[key]))
            .Select(key => new ParameterDifference(key, x[key]?.DeepClone(), y[key]?.DeepClone()))];
    }

    /// <summary>Text against text gives a text diff; anything else is compared as JSON. Null when equal.</summary>
    public static ValueDiff? ValueDiffOf(string? a, string? b)
    {
        var x = ChatPayload.Parse(a);
        var y = ChatPayload.Parse(b);
        if (AsText(x) is { } textA && AsText(y) is { } textB)
        {
            return textA == textB ? null : new ValueDiff(TextDiffer.Diff(textA, textB), []);
        }

        var differences = JsonStructure.Differences(x, y);
        return differences.Count == 0 ? null : new ValueDiff(null, differences);
    }

    /// <summary>
    /// An LLM answer is text (a string, or an assistant message's content); its tool calls are compared separately
    /// (<see cref="ToolCallComparison"/>), so two messages that differ only in call ids are the same. Any other JSON
    /// output is compared as JSON.
    /// </summary>
    public static ValueDiff? LlmOutputDiff(string? a, string? b)
    {
        var x = ChatPayload.Parse(a);
        var y = ChatPayload.Parse(b);
        if (AnswerText(x) is { } textA && AnswerText(y) is { } textB)
        {
            var sameCalls = ToolCallComparison.Of(ChatPayload.ToolCalls(x), ChatPayload.ToolCalls(y)).Same;
            return textA == textB
                ? sameCalls ? null : new ValueDiff(null, [])
                : new ValueDiff(TextDiffer.Diff(textA, textB), []);
        }

        return ValueDiffOf(a, b);
    }

    /// <summary>
    /// Inputs that are equal as JSON do not differ. Otherwise chat messages are diffed as a transcript (one
    /// "role: text" line per message, tool calls as "→ name(arguments)"); when the transcripts match, the JSON
    /// differences (tools, response format, …) are given instead.
    /// </summary>
    public static ValueDiff? LlmInputDiff(string? a, string? b)
    {
        var x = ChatPayload.Parse(a);
        var y = ChatPayload.Parse(b);
        var differences = JsonStructure.Differences(x, y);
        if (differences.Count == 0)
        {
            return null;
        }

        if (Transcript(x) is { } transcriptA && Transcript(y) is { } transcriptB && transcriptA != transcriptB)
        {
            return new ValueDiff(TextDiffer.Diff(transcriptA, transcriptB), []);
        }

        return ValueDiffOf(a, b);
    }

    private static string? AsText(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    private static string? AnswerText(JsonNode? node) =>
        AsText(node) ?? (ChatPayload.IsMessage(node) ? ChatPayload.Text((JsonObject)node!) : null);

    private static string? Transcript(JsonNode? input)
    {
        var messages = input switch
        {
            JsonArray array => array,
            JsonObject o when o["messages"] is JsonArray array => array,
            _ => null,
        };
        if (messages is null)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var message in messages.OfType<JsonObject>())
        {
            text.Append((string?)message["role"] ?? "?").Append(": ").Append(ChatPayload.Text(message)).Append('\n');
            foreach (var call in ChatPayload.ToolCalls(message))
            {
                text.Append("  → ").Append(call.Name).Append('(').Append(call.Arguments?.ToJsonString()).Append(")\n");
            }
        }

        return text.ToString();
    }
}
