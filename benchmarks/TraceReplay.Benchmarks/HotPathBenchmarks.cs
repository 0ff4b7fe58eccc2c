using System.Text.Json;
using BenchmarkDotNet.Attributes;
using TraceReplay.Api.Apis;
using TraceReplay.Api.Ingestion;
using TraceReplay.Api.Otlp;
using TraceReplay.Grains;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Templates;

namespace TraceReplay.Benchmarks;

/// <summary>The code a replay runs per trace, besides the LLM call: planning, building the new trace, comparing.</summary>
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private TraceData _source = null!;
    private TraceData _replay = null!;
    private ReplayPlan _plan = null!;
    private Dictionary<string, SpanResult> _results = null!;

    [Params(3, 20)]
    public int LlmSpans { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = Samples.Trace("trace-a", LlmSpans);
        _plan = ReplayPlanner.Plan(_source, ReplayOverrides.None, TemplateContext.Empty);
        _results = _plan.Calls.ToDictionary(c => c.Span.Id, c => new SpanResult(
            c.Span.Id, "gpt-4o-mini", """{"role":"assistant","content":"a replayed answer"}""", 40, 12, 90, 0, 0.0001m, false, 1), StringComparer.Ordinal);
        _replay = ReplayTraceBuilder.Build(_source, "rpl_bench", _plan.Calls, _results, Samples.At, Samples.At.AddSeconds(1));
    }

    [Benchmark]
    public ReplayPlan Plan() => ReplayPlanner.Plan(_source, ReplayOverrides.None, TemplateContext.Empty);

    [Benchmark]
    public TraceData BuildReplayTrace() => ReplayTraceBuilder.Build(_source, "rpl_bench", _plan.Calls, _results, Samples.At, Samples.At.AddSeconds(1));

    [Benchmark]
    public TraceComparison Compare() => TraceComparer.Compare(_source, _replay, [], []);
}

/// <summary>Ingestion: the batch endpoint's parser and the OTLP/JSON decoder and mapper.</summary>
[MemoryDiagnoser]
public class IngestionBenchmarks
{
    private byte[] _batch = null!;
    private byte[] _otlp = null!;

    [GlobalSetup]
    public void Setup()
    {
        _batch = Samples.Batch(traces: 50, llmSpans: 19);
        _otlp = Samples.OtlpJson(llmSpans: 19);
    }

    /// <summary>
    /// One batch of 50 traces × 20 spans (1,000 spans), as scripts/benchmark.sh's P3 posts it: bound as the endpoint
    /// binds it (the API's JSON options), checked, mapped.
    /// </summary>
    [Benchmark]
    public ParsedBatch? ParseBatch()
    {
        var request = JsonSerializer.Deserialize<IngestBatchRequest>(_batch, JsonSerializerOptions.Web)!;
        return BatchParser.Check(request) is null ? BatchParser.ToBatch(request, Samples.At) : null;
    }

    /// <summary>One OTLP/JSON export of a 20-span trace: decode and map.</summary>
    [Benchmark]
    public object MapOtlp() => OtlpTraceMapper.Map(OtlpDecoder.Decode(_otlp, OtlpFormat.Json).Request!, Samples.At);
}

/// <summary>Rendering a prompt template version for a replay with a template override.</summary>
[MemoryDiagnoser]
public class TemplateBenchmarks
{
    private const string Template = "You are {{persona}}. Answer in {{language}}.{{#rules}}\n- {{.}}{{/rules}}";
    private const string Variables = """{"persona":"a concise support agent","language":"English","rules":["be brief","cite the order id","never promise dates"]}""";

    [Benchmark]
    public TemplateRenderResult Render() => PromptTemplateRenderer.Render(Template, Variables);
}
