using System.Text.Json.Nodes;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Grains;
using OtlpSpan = TraceReplay.Api.Otlp.Proto.Span;

namespace TraceReplay.Api.Otlp;

/// <summary>What one export request carries, per trace, and the spans it could not take with why.</summary>
public sealed record OtlpBatch(IReadOnlyDictionary<string, TraceIngest> Traces, int Accepted, int Rejected, string? RejectionMessage);

/// <summary>
/// Groups an export request's spans by trace id into ingestion batches. A trace's root span (no parent) names the
/// trace, and its resource's attributes become the trace metadata, with <c>service.name</c> as a tag. Spans with
/// invalid ids or times are rejected one by one (OTLP's partial success); the rest are ingested.
/// </summary>
public static class OtlpTraceMapper
{
    private const int MaxReasons = 5;

    public static OtlpBatch Map(ExportTraceServiceRequest request, DateTimeOffset now)
    {
        var spans = new Dictionary<string, Dictionary<string, SpanData>>(StringComparer.Ordinal);
        var headers = new Dictionary<string, TraceHeader>(StringComparer.Ordinal);
        var reasons = new List<string>();
        var accepted = 0;
        var rejected = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = OtlpAttributes.ToObject(resourceSpans.Resource?.Attributes ?? []);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    if (Invalid(span) is { } reason)
                    {
                        rejected++;
                        if (reasons.Count < MaxReasons)
                        {
                            reasons.Add($"span '{OtlpSpanMapper.Hex(span.SpanId)}' ('{span.Name}'): {reason}");
                        }

                        continue;
                    }

                    var traceId = OtlpSpanMapper.Hex(span.TraceId);
                    var data = OtlpSpanMapper.Map(span, scopeSpans.Scope);
                    if (!spans.TryGetValue(traceId, out var traceSpans))
                    {
                        spans[traceId] = traceSpans = new Dictionary<string, SpanData>(StringComparer.Ordinal);
                    }

                    // A span sent twice in one request is one span, as across requests.
                    traceSpans[data.Id] = data;
                    accepted++;
                    if (data.ParentSpanId is null)
                    {
                        headers[traceId] = Header(data, resource, now);
                    }
                }
            }
        }

        var traces = spans.ToDictionary(
            t => t.Key, t => new TraceIngest(headers.GetValueOrDefault(t.Key), [.. t.Value.Values]), StringComparer.Ordinal);
        var message = rejected == 0
            ? null
            : $"{rejected} span(s) rejected: {string.Join("; ", reasons)}{(rejected > reasons.Count ? "; …" : string.Empty)}";
        return new OtlpBatch(traces, accepted, rejected, message);
    }

    private static TraceHeader Header(SpanData root, JsonObject resource, DateTimeOffset now)
    {
        var tags = resource["service.name"] is JsonValue service && OtlpAttributes.AsString(service) is { Length: > 0 } name ? new[] { name } : [];
        return new TraceHeader(root.Name, resource.Count > 0 ? resource.ToJsonString() : null, tags, root.StartTime ?? now);
    }

    private static string? Invalid(OtlpSpan span)
    {
        if (span.TraceId.Length != 16 || span.TraceId.Span.IndexOfAnyExcept((byte)0) < 0)
        {
            return "trace_id must be 16 bytes, not all zero.";
        }

        if (span.SpanId.Length != 8 || span.SpanId.Span.IndexOfAnyExcept((byte)0) < 0)
        {
            return "span_id must be 8 bytes, not all zero.";
        }

        if (!span.ParentSpanId.IsEmpty && span.ParentSpanId.Length != 8)
        {
            return "parent_span_id must be empty or 8 bytes.";
        }

        if (span.EndTimeUnixNano != 0 && span.EndTimeUnixNano < span.StartTimeUnixNano)
        {
            return "end_time_unix_nano is before start_time_unix_nano.";
        }

        return null;
    }
}
