using System.Text.Json.Nodes;
using TraceReplay.Api.Otlp;
using TraceReplay.Grains;

namespace TraceReplay.Tests.Otlp;

/// <summary>The mapping of conventions without a recorded fixture, on hand-made spans.</summary>
public sealed class OtlpMappingTests
{
    [Theory]
    [InlineData("openinference-json.json")]
    [InlineData("traceloop-protobuf.pb")]
    public void EveryRecordedSpanMapsIntoOneTrace(string fixture)
    {
        var body = OtlpPayloads.Fresh(fixture, out _);
        var (request, error) = OtlpDecoder.Decode(body, OtlpDecoder.FormatOf(OtlpPayloads.ContentTypeOf(fixture))!.Value);
        Assert.Null(error);

        var batch = OtlpTraceMapper.Map(request!, DateTimeOffset.UtcNow);

        var trace = Assert.Single(batch.Traces.Values);
        Assert.Equal(4, trace.Spans.Count);
        Assert.Equal(2, trace.Spans.Count(s => s.Type == SpanType.Llm));
        Assert.Equal(0, batch.Rejected);
    }
}
