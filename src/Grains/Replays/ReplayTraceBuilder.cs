using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Replays;

/// <summary>
/// Builds the new trace of a finished replay: the source span tree with each replayed LLM span's new output,
/// model, parameters, usage, latency and cost.
/// </summary>
/// <remarks>
/// Timing: each replayed LLM span takes its new latency, and every span that starts (ends) at or after the moment an LLM span ended
/// in the recording moves by that span's change in duration — the recorded steps are taken to run one after another.
/// The whole tree then starts at <c>startedAt</c>. Final answers: every non-LLM span above a replayed LLM span carries
/// the replayed answers where its recorded output holds the recorded ones (<see cref="AnswerPropagation"/>), so
/// evaluators score the new model.
/// </remarks>
public static class ReplayTraceBuilder
{
    public static string TraceIdFor(string replayId) => $"trace_{replayId}";

    public static TraceData Build(
        TraceData source, string replayId, IReadOnlyList<PlannedCall> calls,
        IReadOnlyDictionary<string, SpanResult> results, DateTimeOffset startedAt, DateTimeOffset now)
    {
        var planned = calls.ToDictionary(c => c.Span.Id, StringComparer.Ordinal);
        var deltas = calls
            .Where(c => c.Span.EndTime is not null)
            .Select(c => (End: c.Span.EndTime!.Value, Delta: results[c.Span.Id].LatencyMs - (c.Span.DurationMs ?? 0)))
            .OrderBy(d => d.End)
            .ToList();
        var origin = source.Spans.Where(s => s.StartTime is not null).Select(s => s.StartTime!.Value).DefaultIfEmpty(source.Timestamp).Min();
        var shift = startedAt - origin;

        DateTimeOffset? Move(DateTimeOffset? time) => time is null
            ? null
            : time.Value + shift + TimeSpan.FromMilliseconds(deltas.Where(d => d.End <= time).Sum(d => d.Delta));

        var idMap = source.Spans.ToDictionary(s => s.Id, s => NewSpanId(replayId, s.Id), StringComparer.Ordinal);
        var newOutputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var spans = new List<SpanData>(source.Spans.Count);
        foreach (var span in source.Spans)
        {
            var copy = span with
            {
                Id = idMap[span.Id],
                ParentSpanId = span.ParentSpanId is { } p && idMap.TryGetValue(p, out var np) ? np : span.ParentSpanId,
                StartTime = Move(span.StartTime),
                EndTime = Move(span.EndTime),
                ReplayOfSpanId = span.Id,
            };

            if (planned.TryGetValue(span.Id, out var call))
            {
                var result = results[span.Id];
                var output = OutputInRecordedShape(span.OutputJson, result.MessageJson);
                newOutputs[span.Id] = output;
                copy = copy with
                {
                    EndTime = copy.StartTime is { } s ? s + TimeSpan.FromMilliseconds(result.LatencyMs) : copy.EndTime,
                    InputJson = call.InputJson,
                    OutputJson = output?.ToJsonString(),
                    Model = result.Model,
                    ModelParametersJson = call.ModelParametersJson,
                    PromptTokens = result.PromptTokens,
                    CompletionTokens = result.CompletionTokens,
                    Cost = result.Cost,
                    Status = SpanStatus.Ok,
                    PromptTemplateVersionId = call.TemplateVersionId,
                    Simulated = result.Simulated,
                };
            }

            spans.Add(copy);
        }

        CarryFinalAnswers(source, spans, newOutputs);
        return new TraceData(
            TraceIdFor(replayId), source.Name, source.MetadataJson, source.Tags, startedAt, now, spans,
            new TraceLineage(source.Id, replayId), HasHeader: true, source.Project);
    }

    /// <summary>
    /// The recorded trace cut where a chained replay diverged: the diverging span, every span that started before it
    /// (ties in recorded order) and their ancestors. The diverging span's ancestors lose their recorded outputs: the
    /// replay never got as far as their answers.
    /// </summary>
    public static TraceData PathUpTo(TraceData source, string spanId)
    {
        var byId = source.Spans.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var index = source.Spans.ToList().FindIndex(s => s.Id == spanId);
        if (index < 0)
        {
            return source;
        }

        var stop = source.Spans[index];
        var before = source.Spans
            .Where((s, i) => s.StartTime is { } start && stop.StartTime is { } at && (start < at || (start == at && i < index)))
            .Append(stop);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var span in before)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (SpanData? s = span; s is not null && seen.Add(s.Id); s = s.ParentSpanId is { } p ? byId.GetValueOrDefault(p) : null)
            {
                kept.Add(s.Id);
            }
        }

        var spans = source.Spans
            .Where(s => kept.Contains(s.Id))
            .Select(s => IsDescendant(stop, s.Id, byId) ? s with { OutputJson = null } : s)
            .ToList();
        return source with { Spans = spans };
    }

    /// <summary>How many of the replayed LLM spans decided as the recording did (<see cref="DecisionComparer"/>).</summary>
    public static ReplayDecisions CountDecisions(IReadOnlyList<PlannedCall> calls, IReadOnlyDictionary<string, SpanResult> results)
    {
        var agreed = calls.Count(c => DecisionComparer.Compare(c.Span.Id, c.Span.OutputJson, results[c.Span.Id].MessageJson).Same);
        return new ReplayDecisions(calls.Count, agreed);
    }

    /// <summary>Per replayed span, the parameters its provider did not accept; null when none were left out.</summary>
    public static IReadOnlyList<DroppedParameters>? DroppedParameters(IReadOnlyList<PlannedCall> calls, IReadOnlyDictionary<string, SpanResult> results)
    {
        var dropped = calls
            .Where(c => results.TryGetValue(c.Span.Id, out var r) && r.DroppedParameters is { Count: > 0 })
            .Select(c => new DroppedParameters(c.Span.Id, results[c.Span.Id].DroppedParameters!))
            .ToList();
        return dropped.Count == 0 ? null : dropped;
    }

    /// <summary>Text if the span recorded text and the model answered with text alone; else the message object.</summary>
    private static JsonNode? OutputInRecordedShape(string? recordedOutputJson, string messageJson)
    {
        var message = JsonNode.Parse(messageJson) as JsonObject ?? [];
        var recordedIsText = ChatPayload.ParseOrNull(recordedOutputJson) is JsonValue v && v.GetValueKind() == JsonValueKind.String;
        var hasToolCalls = ChatPayload.ToolCalls(message).Count > 0;
        return recordedIsText && !hasToolCalls ? JsonValue.Create(ChatPayload.Text(message)) : message;
    }

    /// <summary>
    /// Every non-LLM span above a replayed LLM span gets the new answers where its recorded output holds recorded ones
    /// (<see cref="AnswerPropagation"/>), marked <c>OutputReplayed</c>; where none occurs, its recorded output stays and
    /// is marked not replayed, so evaluators read the last replayed answer instead.
    /// </summary>
    private static void CarryFinalAnswers(TraceData source, List<SpanData> spans, Dictionary<string, JsonNode?> newOutputs)
    {
        var byId = source.Spans.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var answers = source.Spans
            .Where(s => newOutputs.ContainsKey(s.Id) && ChatPayload.ParseOrNull(s.OutputJson) is not null)
            .OrderBy(s => s.EndTime)
            .Select(s => new AnswerPropagation.Answer(ChatPayload.ParseOrNull(s.OutputJson)!, newOutputs[s.Id]))
            .ToList();
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        foreach (var replayed in source.Spans.Where(s => newOutputs.ContainsKey(s.Id)))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var parent = replayed.ParentSpanId; parent is not null && seen.Add(parent) && byId.TryGetValue(parent, out var p); parent = p.ParentSpanId)
            {
                onPath.Add(parent);
            }
        }

        for (var i = 0; i < spans.Count; i++)
        {
            var original = source.Spans[i];
            if (newOutputs.ContainsKey(original.Id))
            {
                spans[i] = spans[i] with { OutputReplayed = true };
                continue;
            }

            if (original.Type == SpanType.Llm || !onPath.Contains(original.Id) || original.OutputJson is null)
            {
                continue;
            }

            var recorded = ChatPayload.ParseOrNull(original.OutputJson) ?? JsonValue.Create(original.OutputJson);
            spans[i] = AnswerPropagation.Substitute(recorded, answers) is { } carried
                ? spans[i] with { OutputJson = carried.ToJsonString(), OutputReplayed = true }
                : spans[i] with { OutputReplayed = false };
        }
    }

    private static bool IsDescendant(SpanData span, string ancestorId, Dictionary<string, SpanData> byId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var parent = span.ParentSpanId; parent is not null && seen.Add(parent); parent = byId.GetValueOrDefault(parent)?.ParentSpanId)
        {
            if (parent == ancestorId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A replay span's id: stable for a given replay and source span, so a rebuilt trace is identical.</summary>
    private static string NewSpanId(string replayId, string sourceSpanId) =>
        "sp_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(replayId + "\n" + sourceSpanId)))[..20];
}
