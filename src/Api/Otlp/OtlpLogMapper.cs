using System.Text.Json.Nodes;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Grains;

namespace TraceReplay.Api.Otlp;

/// <summary>What one logs export carries, per trace, and how many records were attached, ignored or rejected.</summary>
public sealed record OtlpLogBatch(
    IReadOnlyDictionary<string, IReadOnlyList<SpanContent>> Traces, int Attached, int Ignored, int Rejected, string? RejectionMessage);

/// <summary>
/// Reads the GenAI event log records of an OTLP logs export (the official OpenTelemetry OpenAI instrumentations put
/// message content there, not on the span) into per-span message content, grouped by trace. The event name is the
/// record's <c>event_name</c>, else its <c>event.name</c> attribute. Other log records are counted and ignored; a GenAI
/// event without a valid trace and span id cannot be attached and is rejected (OTLP's partial success).
/// </summary>
public static class OtlpLogMapper
{
    private const int MaxReasons = 5;

    private sealed class Collected
    {
        public JsonArray Input { get; } = [];

        public JsonNode? Output { get; set; }

        public long OutputIndex { get; set; } = long.MaxValue;
    }

    public static OtlpLogBatch Map(ExportLogsServiceRequest request, DateTimeOffset now)
    {
        var collected = new Dictionary<(string Trace, string Span), Collected>();
        var order = new List<(string Trace, string Span)>();
        var reasons = new List<string>();
        int attached = 0, ignored = 0, rejected = 0;
        foreach (var record in request.ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords))
        {
            var attributes = OtlpAttributes.ToObject(record.Attributes);
            var name = record.EventName is { Length: > 0 } eventName ? eventName : OtlpAttributes.AsString(attributes["event.name"]);
            if (!GenAiEvents.IsGenAi(name))
            {
                ignored++;
                continue;
            }

            if (Invalid(record) is { } reason)
            {
                rejected++;
                if (reasons.Count < MaxReasons)
                {
                    reasons.Add($"{name}: {reason}");
                }

                continue;
            }

            var key = (OtlpSpanMapper.Hex(record.TraceId), OtlpSpanMapper.Hex(record.SpanId));
            if (!collected.TryGetValue(key, out var content))
            {
                collected[key] = content = new Collected();
                order.Add(key);
            }

            var body = OtlpAttributes.ParseIfJson(OtlpAttributes.ToJson(record.Body)) as JsonObject ?? new JsonObject();
            Read(name!, body, attributes, content);
            attached++;
        }

        var traces = order
            .Where(k => collected[k].Input.Count > 0 || collected[k].Output is not null)
            .GroupBy(k => k.Trace, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => (IReadOnlyList<SpanContent>)[.. g.Select(k => new SpanContent(
                    k.Span,
                    collected[k].Input.Count > 0 ? collected[k].Input.ToJsonString() : null,
                    collected[k].Output?.ToJsonString(),
                    now))],
                StringComparer.Ordinal);
        var message = rejected == 0
            ? null
            : $"{rejected} log record(s) rejected: {string.Join("; ", reasons)}{(rejected > reasons.Count ? "; …" : string.Empty)}";
        return new OtlpLogBatch(traces, attached, ignored, rejected, message);
    }

    private static void Read(string name, JsonObject body, JsonObject attributes, Collected content)
    {
        if (GenAiEvents.RoleOf(name) is { } role)
        {
            content.Input.Add(GenAiEvents.Message(role, body));
            return;
        }

        if (name == GenAiEvents.Choice)
        {
            var index = OtlpAttributes.AsNumber(body["index"]) is { } i ? (long)i : 0;
            if (index < content.OutputIndex && GenAiEvents.ChoiceMessage(body) is { } answer)
            {
                content.Output = ChatMessageFormats.Output(answer);
                content.OutputIndex = index;
            }

            return;
        }

        // gen_ai.client.inference.operation.details: the messages are attributes (or, from some SDKs, body fields).
        JsonNode? Field(string key) => OtlpAttributes.ParseIfJson(attributes[key] ?? body[key]);
        if (Field("gen_ai.input.messages") is JsonArray inputs)
        {
            var messages = ChatMessageFormats.FromGenAiParts(inputs);
            if (ChatMessageFormats.SystemFromInstructions(Field("gen_ai.system_instructions")) is { } system
                && !messages.OfType<JsonObject>().Any(m => (string?)m["role"] == "system"))
            {
                messages.Insert(0, system);
            }

            foreach (var message in messages)
            {
                content.Input.Add(message?.DeepClone());
            }
        }

        if (Field("gen_ai.output.messages") is JsonArray outputs && ChatMessageFormats.FromGenAiParts(outputs) is [JsonObject first, ..])
        {
            content.Output = ChatMessageFormats.Output((JsonObject)first.DeepClone());
            content.OutputIndex = 0;
        }
    }

    private static string? Invalid(LogRecord record)
    {
        if (record.TraceId.Length != 16 || record.TraceId.Span.IndexOfAnyExcept((byte)0) < 0)
        {
            return "trace_id must be 16 bytes, not all zero, to attach the event to its span.";
        }

        if (record.SpanId.Length != 8 || record.SpanId.Span.IndexOfAnyExcept((byte)0) < 0)
        {
            return "span_id must be 8 bytes, not all zero, to attach the event to its span.";
        }

        return null;
    }
}
