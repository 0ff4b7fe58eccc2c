using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using TraceReplay.Api.Otlp.Proto;

namespace TraceReplay.Tests.Otlp;

/// <summary>
/// The recorded OTLP exports in test/fixtures/otlp/recordings, made fresh for one test: every trace id replaced by a
/// new random one, and every time moved so the trace ended a second ago (replays refuse traces past retention).
/// </summary>
public static class OtlpPayloads
{
    public const string Protobuf = "application/x-protobuf";
    public const string Json = "application/json";

    private static readonly string Directory = FindRecordings();

    public static string ContentTypeOf(string fixture) => fixture.EndsWith(".pb", StringComparison.Ordinal) ? Protobuf : Json;

    /// <summary>The fixture's bytes with new trace ids and current times; <paramref name="traceIds"/> maps old to new.</summary>
    public static byte[] Fresh(string fixture, out Dictionary<string, string> traceIds)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Directory, fixture));
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        traceIds = ids;
        string NewId(string old) => ids.TryGetValue(old, out var id) ? id : ids[old] = Guid.NewGuid().ToString("N");

        if (ContentTypeOf(fixture) == Protobuf)
        {
            var request = ExportTraceServiceRequest.Parser.ParseFrom(bytes);
            var spans = request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
            var shift = Shift(spans.Max(s => s.EndTimeUnixNano));
            foreach (var span in spans)
            {
                span.TraceId = ByteString.CopyFrom(Convert.FromHexString(NewId(Convert.ToHexStringLower(span.TraceId.Span))));
                span.StartTimeUnixNano = Move(span.StartTimeUnixNano, shift);
                span.EndTimeUnixNano = Move(span.EndTimeUnixNano, shift);
                foreach (var e in span.Events)
                {
                    e.TimeUnixNano = Move(e.TimeUnixNano, shift);
                }
            }

            return request.ToByteArray();
        }

        var root = JsonNode.Parse(bytes)!;
        var jsonSpans = root["resourceSpans"]!.AsArray().SelectMany(r => r!["scopeSpans"]!.AsArray()).SelectMany(s => s!["spans"]!.AsArray()).ToList();
        var jsonShift = Shift(jsonSpans.Max(s => ulong.Parse((string)s!["endTimeUnixNano"]!)));
        foreach (var span in jsonSpans)
        {
            span!["traceId"] = NewId((string)span["traceId"]!);
            span["startTimeUnixNano"] = Move(ulong.Parse((string)span["startTimeUnixNano"]!), jsonShift).ToString();
            span["endTimeUnixNano"] = Move(ulong.Parse((string)span["endTimeUnixNano"]!), jsonShift).ToString();
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>
    /// A recorded logs export with its trace ids replaced as <paramref name="traceIds"/> (from the traces' <see cref="Fresh"/>)
    /// says, and its times moved by the same amount as <paramref name="tracesFixture"/>'s.
    /// </summary>
    public static byte[] FreshLogs(string fixture, string tracesFixture, IReadOnlyDictionary<string, string> traceIds)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Directory, fixture));
        var traces = File.ReadAllBytes(Path.Combine(Directory, tracesFixture));
        if (ContentTypeOf(fixture) == Protobuf)
        {
            var shift = Shift(ExportTraceServiceRequest.Parser.ParseFrom(traces).ResourceSpans
                .SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Max(s => s.EndTimeUnixNano));
            var request = ExportLogsServiceRequest.Parser.ParseFrom(bytes);
            foreach (var record in request.ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords))
            {
                record.TraceId = ByteString.CopyFrom(Convert.FromHexString(traceIds[Convert.ToHexStringLower(record.TraceId.Span)]));
                record.TimeUnixNano = Move(record.TimeUnixNano, shift);
                record.ObservedTimeUnixNano = Move(record.ObservedTimeUnixNano, shift);
            }

            return request.ToByteArray();
        }

        var jsonShift = Shift(JsonNode.Parse(traces)!["resourceSpans"]!.AsArray().SelectMany(r => r!["scopeSpans"]!.AsArray())
            .SelectMany(s => s!["spans"]!.AsArray()).Max(s => ulong.Parse((string)s!["endTimeUnixNano"]!)));
        var root = JsonNode.Parse(bytes)!;
        foreach (var record in root["resourceLogs"]!.AsArray().SelectMany(r => r!["scopeLogs"]!.AsArray()).SelectMany(s => s!["logRecords"]!.AsArray()))
        {
            record!["traceId"] = traceIds[(string)record["traceId"]!];
            record["timeUnixNano"] = Move(ulong.Parse((string)record["timeUnixNano"]!), jsonShift).ToString();
            record["observedTimeUnixNano"] = Move(ulong.Parse((string)record["observedTimeUnixNano"]!), jsonShift).ToString();
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    public static ByteArrayContent Content(byte[] body, string contentType, bool gzip = false)
    {
        var content = new ByteArrayContent(gzip ? Gzip(body) : body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return content;
    }

    public static ByteArrayContent Content(ExportTraceServiceRequest request) => Content(request.ToByteArray(), Protobuf);

    public static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(body);
        }

        return output.ToArray();
    }

    public static ByteString NewTraceId() => ByteString.CopyFrom(Guid.NewGuid().ToByteArray());

    public static ByteString SpanId(int n) => ByteString.CopyFrom(BitConverter.GetBytes((long)n + 1).Reverse().ToArray());

    public static ulong Nanos(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;

    public static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static KeyValue Attribute(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static KeyValue Attribute(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };

    /// <summary>One resource (service "otlp-tests") and scope holding <paramref name="spans"/>.</summary>
    public static ExportTraceServiceRequest Request(params Span[] spans)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tests" } };
        scope.Spans.AddRange(spans);
        var resource = new ResourceSpans { Resource = new Resource { Attributes = { Attribute("service.name", "otlp-tests") } } };
        resource.ScopeSpans.Add(scope);
        return new ExportTraceServiceRequest { ResourceSpans = { resource } };
    }

    public static Span Span(ByteString traceId, int id, int? parent, string name, int startMs, int endMs, params KeyValue[] attributes)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        var span = new Span
        {
            TraceId = traceId,
            SpanId = SpanId(id),
            Name = name,
            Kind = TraceReplay.Api.Otlp.Proto.Span.Types.SpanKind.Internal,
            StartTimeUnixNano = Nanos(start.AddMilliseconds(startMs)),
            EndTimeUnixNano = Nanos(start.AddMilliseconds(endMs)),
        };
        if (parent is { } p)
        {
            span.ParentSpanId = SpanId(p);
        }

        span.Attributes.AddRange(attributes);
        return span;
    }

    public static string Hex(ByteString id) => Convert.ToHexStringLower(id.Span);

    private static long Shift(ulong latestEnd) => (long)Nanos(DateTimeOffset.UtcNow.AddSeconds(-1)) - (long)latestEnd;

    private static ulong Move(ulong nanos, long shift) => (ulong)((long)nanos + shift);

    private static string FindRecordings()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "test", "fixtures", "otlp", "recordings");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("test/fixtures/otlp/recordings not found above " + AppContext.BaseDirectory);
    }
}
