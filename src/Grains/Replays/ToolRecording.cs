using System.Text.Json;
using System.Text.Json.Nodes;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Replays;

/// <summary>A tool result the recording holds: the call that asked for it and what the tool answered (message content).</summary>
public sealed record RecordedToolResult(string Name, JsonNode? Arguments, string Content);

/// <summary>
/// The tool results of a recorded trace, in the order the calls were made, and the answers a chained replay has taken
/// from them. A recorded call's result is the <c>role: tool</c> message with its <c>tool_call_id</c> in a later LLM
/// span's input; without one, the TOOL span of the same name at the same position (the k-th call of a tool ↔ the k-th
/// TOOL span of that name). TOOL spans left over are results too, with their input as the arguments.
/// </summary>
public sealed class ToolRecording
{
    private readonly List<RecordedToolResult> _results;
    private readonly bool[] _used;

    private ToolRecording(List<RecordedToolResult> results)
    {
        _results = results;
        _used = new bool[results.Count];
    }

    public IReadOnlyList<RecordedToolResult> Results => _results;

    public static ToolRecording From(TraceData trace)
    {
        var ordered = trace.Spans
            .Select((span, index) => (span, index))
            .OrderBy(s => s.span.StartTime ?? DateTimeOffset.MaxValue)
            .ThenBy(s => s.index)
            .Select(s => s.span)
            .ToList();
        var messages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var message in ordered.Where(s => s.Type == SpanType.Llm).SelectMany(s => ChainMessages.Of(s.InputJson)))
        {
            if ((string?)message["role"] == "tool" && (string?)message["tool_call_id"] is { } id)
            {
                messages.TryAdd(id, ContentText(message["content"]));
            }
            else if ((string?)message["role"] == "user" && message["content"] is JsonArray blocks)
            {
                // Anthropic: tool_result blocks in the user turn, keyed by the tool_use id they answer.
                foreach (var block in blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "tool_result"))
                {
                    if ((string?)block["tool_use_id"] is { } useId)
                    {
                        messages.TryAdd(useId, ContentText(block["content"]));
                    }
                }
            }
        }

        var toolSpans = ordered.Where(s => s.Type == SpanType.Tool).ToLookup(s => s.Name, StringComparer.Ordinal);
        var taken = new Dictionary<string, int>(StringComparer.Ordinal);
        var results = new List<RecordedToolResult>();
        foreach (var span in ordered.Where(s => s.Type == SpanType.Llm))
        {
            var output = ChatPayload.Parse(span.OutputJson);
            var ids = ChainMessages.ToolCallIds(output);
            var calls = ChatPayload.ToolCalls(output);
            for (var i = 0; i < calls.Count; i++)
            {
                var call = calls[i];
                var position = taken.GetValueOrDefault(call.Name);
                taken[call.Name] = position + 1;
                var content = i < ids.Count && ids[i] is { } id && messages.TryGetValue(id, out var text)
                    ? text
                    : toolSpans[call.Name].ElementAtOrDefault(position) is { OutputJson: { } output2 } ? ContentText(ChatPayload.Parse(output2)) : null;
                if (content is not null)
                {
                    results.Add(new RecordedToolResult(call.Name, call.Arguments, content));
                }
            }
        }

        foreach (var group in toolSpans)
        {
            foreach (var span in group.Skip(taken.GetValueOrDefault(group.Key)).Where(s => s.OutputJson is not null))
            {
                results.Add(new RecordedToolResult(span.Name, ChatPayload.Parse(span.InputJson), ContentText(ChatPayload.Parse(span.OutputJson))));
            }
        }

        return new ToolRecording(results);
    }

    /// <summary>
    /// The recorded result that answers <paramref name="call"/>, or why there is none. Strict takes a recorded call of
    /// the same tool with JSON-equal arguments (an unused one first; asking the same again gets the same answer). Fifo
    /// takes the next unused result of the tool, whatever its arguments.
    /// </summary>
    public (RecordedToolResult? Result, string? Reason) Answer(ToolCall call, ToolMatching matching)
    {
        var sameTool = Enumerable.Range(0, _results.Count).Where(i => _results[i].Name == call.Name).ToList();
        if (sameTool.Count == 0)
        {
            return (null, $"the recording has no result of tool '{call.Name}'");
        }

        var candidates = matching == ToolMatching.Strict
            ? sameTool.Where(i => JsonStructure.AreEqual(_results[i].Arguments, call.Arguments)).OrderBy(i => _used[i]).ToList()
            : sameTool.Where(i => !_used[i]).ToList();
        if (candidates.Count == 0)
        {
            return (null, matching == ToolMatching.Strict
                ? $"the recording has no result of tool '{call.Name}' with arguments {Arguments(call.Arguments)} "
                    + $"(recorded: {string.Join(", ", sameTool.Select(i => Arguments(_results[i].Arguments)))})"
                : $"every recorded result of tool '{call.Name}' ({sameTool.Count}) was already used");
        }

        _used[candidates[0]] = true;
        return (_results[candidates[0]], null);
    }

    private static string Arguments(JsonNode? arguments) => arguments?.ToJsonString() ?? "null";

    /// <summary>A tool message's content as the text a model receives: a string as is, anything else as JSON.</summary>
    private static string ContentText(JsonNode? content) => content switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        // Content blocks that are all text (an Anthropic tool_result's, an OpenAI content-part array): their text.
        JsonArray parts when parts.Count > 0 && parts.All(p => p is JsonObject o && (string?)o["type"] == "text") =>
            string.Concat(parts.Select(p => (string?)p!["text"] ?? string.Empty)),
        _ => content?.ToJsonString() ?? string.Empty,
    };
}
