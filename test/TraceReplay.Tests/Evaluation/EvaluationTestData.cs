using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Grains.Evaluation.Evaluators;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Evaluation;

/// <summary>Traces and a runner for evaluator tests without a cluster.</summary>
internal static class EvaluationTestData
{
    public static readonly IHttpClientFactory Http = new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    /// <summary>The sample agent (3 s, two LLM spans of $0.01 each, one tool call) with the root output replaced.</summary>
    public static TraceData Agent(string? rootOutput = null)
    {
        var ingest = SampleTraces.Agent();
        var spans = ingest.Spans.Select(s => s.Type == SpanType.Llm ? s with { Cost = 0.01m } : s).ToList();
        if (rootOutput is not null)
        {
            spans[0] = spans[0] with { OutputJson = System.Text.Json.JsonSerializer.Serialize(rootOutput) };
        }

        return new TraceData("t-eval", "agent", ingest.Header!.MetadataJson, [], SampleTraces.Start, SampleTraces.Start, spans, null, true);
    }

    public static EvaluationRunner Runner(LlmCaller? llm = null, string judgeModel = "gpt-4o-mini") =>
        new(new EvaluatorCatalog(llm ?? ((_, _) => throw new InvalidOperationException("no LLM in this test")), Http, judgeModel,
                new WebhookOptions { AllowPrivateNetworks = true }),
            TimeProvider.System, NullLogger<EvaluationRunner>.Instance);

    public static EvaluatorDefinition Definition(string type, string configJson) =>
        new("ev-" + type.ToLowerInvariant(), "default", type.ToLowerInvariant(), type, configJson, true, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    public static Task<TraceScore> ScoreAsync(string type, string configJson, TraceData trace, string? expected = null, LlmCaller? llm = null) =>
        Runner(llm).RunAsync(Definition(type, configJson), trace, expected);
}
