using System.Text.Json.Nodes;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Replays;

/// <summary>
/// Where a chained replay stands: the calls made so far (with the inputs they were sent), and either the next call to
/// make, the divergence that stops it, or neither (every LLM span replayed).
/// </summary>
public sealed record ChainStep(IReadOnlyList<PlannedCall> Done, PlannedCall? Next, ReplayDivergence? Divergence)
{
    public bool IsFinished => Next is null;
}

/// <summary>
/// Plans a chained replay one call at a time. Pure: the trace, its isolated plan and the results so far give the same
/// step, so a resumed replay re-derives its requests and tool answers instead of storing them.
/// </summary>
/// <remarks>
/// LLM spans run in causal order (start time, then recorded order). A span's input is rebuilt from the latest earlier
/// span whose recorded answer appears in it as an assistant message: that span's sent messages, its replayed message,
/// tool messages answering the replayed tool calls from the recording (<see cref="ToolRecording"/>), then whatever the
/// recording had after its tool messages (a new user turn, …). A span that repeats no earlier answer keeps its input.
/// After each result the new decision is checked: answering where the original called tools, calling tools where it
/// answered, or a tool call the recording cannot answer is the divergence, and the replay stops at that span.
/// </remarks>
public static class ChainedReplayPlanner
{
    public static ChainStep Next(ReplayPlan plan, TraceData trace, IReadOnlyDictionary<string, SpanResult> results, ToolMatching matching)
    {
        var recording = ToolRecording.From(trace);
        var done = new List<ChainLink>();
        foreach (var planned in Ordered(plan.Calls))
        {
            var call = Rebuild(planned, done);
            if (!results.TryGetValue(call.Span.Id, out var result))
            {
                return new ChainStep([.. done.Select(d => d.Call)], call, null);
            }

            var reply = AssistantMessage(result.MessageJson, call.Request.Format);
            var (answers, divergence) = Check(call.Span, reply, recording, matching, call.Request.Format);
            done.Add(new ChainLink(planned, call, reply, answers));
            if (divergence is not null)
            {
                return new ChainStep([.. done.Select(d => d.Call)], null, divergence);
            }
        }

        return new ChainStep([.. done.Select(d => d.Call)], null, null);
    }

    /// <summary>The calls in causal order: by the recorded start time, ties (and spans without one) in recorded order.</summary>
    public static IReadOnlyList<PlannedCall> Ordered(IReadOnlyList<PlannedCall> calls) =>
        [.. calls.Select((call, index) => (call, index))
            .OrderBy(c => c.call.Span.StartTime ?? DateTimeOffset.MaxValue)
            .ThenBy(c => c.index)
            .Select(c => c.call)];

    /// <summary>The answers to the new model's tool calls, or the divergence that stops the chain here.</summary>
    private static (IReadOnlyList<JsonObject> Answers, ReplayDivergence? Divergence) Check(
        SpanData span, JsonObject reply, ToolRecording recording, ToolMatching matching, string format)
    {
        var original = ChatPayload.Parse(span.OutputJson);
        var (expected, actual) = (DecisionComparer.DecisionOf(original), DecisionComparer.DecisionOf(reply));
        if (expected.Kind != actual.Kind)
        {
            var reason = expected.Kind == DecisionKind.ToolCalls
                ? "the new model answered where the original called tools"
                : "the new model called tools where the original answered";
            return ([], new ReplayDivergence(span.Id, span.Name, Describe(original), Describe(reply), reason));
        }

        var ids = ChainMessages.ToolCallIds(reply);
        var calls = ChatPayload.ToolCalls(reply);
        var answers = new List<JsonObject>(calls.Count);
        var results = new JsonArray();
        for (var i = 0; i < calls.Count; i++)
        {
            var (recorded, why) = recording.Answer(calls[i], matching);
            if (recorded is null)
            {
                return ([], new ReplayDivergence(span.Id, span.Name, Describe(original), Describe(reply), why!));
            }

            if (format == LlmWireFormat.Anthropic)
            {
                results.Add(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = i < ids.Count ? ids[i] : null, ["content"] = recorded.Content });
                continue;
            }

            answers.Add(new JsonObject
            {
                ["role"] = "tool",
                ["tool_call_id"] = i < ids.Count ? ids[i] : null,
                ["content"] = recorded.Content,
            });
        }

        // Anthropic answers every tool_use of a turn with tool_result blocks in the one user turn that follows.
        if (results.Count > 0)
        {
            answers.Add(new JsonObject { ["role"] = "user", ["content"] = results });
        }

        return (answers, null);
    }

    /// <summary>The planned call with its messages rebuilt from the replayed steps it continues.</summary>
    private static PlannedCall Rebuild(PlannedCall call, IReadOnlyList<ChainLink> done)
    {
        var body = (JsonObject)JsonNode.Parse(call.Request.RequestBodyJson)!;
        if (body["messages"] is not JsonArray messages)
        {
            return call;
        }

        for (var i = done.Count - 1; i >= 0; i--)
        {
            var link = done[i];
            var at = FindAnswer(messages, ChatPayload.Parse(link.Planned.Span.OutputJson));
            if (at < 0)
            {
                continue;
            }

            // The history before the answer is the earlier span's own, as sent; if the agent rewrote it, keep the recording's.
            var recordedPrefix = new JsonArray([.. messages.Take(at).Select(m => m?.DeepClone())]);
            var prefix = JsonStructure.AreEqual(recordedPrefix, Messages(link.Planned)) ? Messages(link.Call) : recordedPrefix;
            var rebuilt = new JsonArray([.. prefix.Select(m => m?.DeepClone())]);
            rebuilt.Add(link.Reply.DeepClone());
            foreach (var answer in link.Answers)
            {
                rebuilt.Add(answer.DeepClone());
            }

            var rest = messages.Skip(at + 1).SkipWhile(m => (string?)m?["role"] == "tool").Select(m => m?.DeepClone()).ToList();
            if (rest.FirstOrDefault() is JsonObject { } next && (string?)next["role"] == "user" && next["content"] is JsonArray blocks
                && blocks.OfType<JsonObject>().Any(b => (string?)b["type"] == "tool_result"))
            {
                // Anthropic: the recorded tool results are replaced by the replay's; what else the user turn held joins them.
                rest.RemoveAt(0);
                var others = blocks.OfType<JsonObject>().Where(b => (string?)b["type"] != "tool_result").Select(b => (JsonNode)b.DeepClone()).ToList();
                if (others.Count > 0)
                {
                    if (rebuilt.LastOrDefault() is JsonObject { } last && (string?)last["role"] == "user" && last["content"] is JsonArray answered)
                    {
                        others.ForEach(answered.Add);
                    }
                    else
                    {
                        rest.Insert(0, new JsonObject { ["role"] = "user", ["content"] = new JsonArray([.. others]) });
                    }
                }
            }

            foreach (var message in rest)
            {
                rebuilt.Add(message);
            }

            body["messages"] = rebuilt;
            return call with
            {
                Request = call.Request with { RequestBodyJson = body.ToJsonString() },
                InputJson = ChainMessages.WithMessages(call.InputJson, rebuilt),
            };
        }

        return call;
    }

    /// <summary>The index of the last assistant message that repeats the recorded answer, or −1.</summary>
    private static int FindAnswer(JsonArray messages, JsonNode? recordedOutput)
    {
        if (recordedOutput is null)
        {
            return -1;
        }

        var text = ChatPayload.AnswerText(recordedOutput);
        var calls = ChatPayload.ToolCalls(recordedOutput);
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i] is JsonObject m && (string?)m["role"] == "assistant"
                && ChatPayload.Text(m) == text
                && ToolCallComparison.Of(ChatPayload.ToolCalls(m), calls).Same)
            {
                return i;
            }
        }

        return -1;
    }

    private static JsonArray Messages(PlannedCall call) =>
        JsonNode.Parse(call.Request.RequestBodyJson)?["messages"] as JsonArray ?? [];

    /// <summary>
    /// The replayed message as the next turn's history carries it, in the recorded protocol (a Claude reply to a GPT
    /// recording becomes an OpenAI message with the same tool call ids, and the other way round): role, content and tool
    /// calls only.
    /// </summary>
    private static JsonObject AssistantMessage(string messageJson, string format)
    {
        var message = ChatTranslator.ConvertReply(ChatPayload.Parse(messageJson) as JsonObject ?? [], format);
        if (format == LlmWireFormat.Anthropic)
        {
            return new JsonObject { ["role"] = "assistant", ["content"] = message["content"]?.DeepClone() };
        }

        var history = new JsonObject { ["role"] = "assistant", ["content"] = message["content"]?.DeepClone() };
        if (message["tool_calls"] is JsonArray { Count: > 0 } calls)
        {
            history["tool_calls"] = calls.DeepClone();
        }

        return history;
    }

    private static string Describe(JsonNode? output)
    {
        var decision = DecisionComparer.DecisionOf(output);
        if (decision.Kind == DecisionKind.Answer)
        {
            var text = output is JsonObject o ? ChatPayload.Text(o) : ChatPayload.StringOrJson(output) ?? string.Empty;
            return $"answer: {(text.Length > 200 ? text[..200] + "…" : text)}";
        }

        return string.Join(", ", ChatPayload.ToolCalls(output).Select(c => $"{c.Name}({c.Arguments?.ToJsonString()})"));
    }

    /// <summary>One replayed step: its isolated plan, the call as sent, the replayed message and the tool answers it got.</summary>
    private sealed record ChainLink(PlannedCall Planned, PlannedCall Call, JsonObject Reply, IReadOnlyList<JsonObject> Answers);
}

/// <summary>Reads chat messages out of recorded LLM inputs and outputs.</summary>
public static class ChainMessages
{
    /// <summary>The messages of a recorded input: an array of messages, or an object with messages.</summary>
    public static IEnumerable<JsonObject> Of(string? inputJson) => ChatPayload.Parse(inputJson) switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject o when o["messages"] is JsonArray array => array.OfType<JsonObject>(),
        _ => [],
    };

    /// <summary>The ids of an assistant message's tool calls, in order (null where a call has none).</summary>
    public static IReadOnlyList<string?> ToolCallIds(JsonNode? output) => output switch
    {
        JsonObject { } message when message["tool_calls"] is JsonArray calls => [.. calls.OfType<JsonObject>().Select(c => (string?)c["id"])],
        JsonObject { } message when message["content"] is JsonArray blocks =>
            [.. blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "tool_use").Select(b => (string?)b["id"])],
        _ => [],
    };

    /// <summary>The recorded input with its messages replaced, in the shape it was recorded in.</summary>
    public static string WithMessages(string? inputJson, JsonArray messages)
    {
        if (ChatPayload.Parse(inputJson) is JsonObject input && input["messages"] is JsonArray)
        {
            input["messages"] = messages.DeepClone();
            return input.ToJsonString();
        }

        return messages.ToJsonString();
    }
}
