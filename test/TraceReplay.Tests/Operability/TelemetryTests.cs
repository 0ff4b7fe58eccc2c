using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TraceReplay.Grains.Telemetry;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Operability;

/// <summary>The service's own traces and metrics, read through OpenTelemetry's in-memory exporters.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class TelemetryTests : IAsyncLifetime
{
    private const string Model = "gpt-4.1-mini";

    private readonly LockedList<Activity> _spans = [];
    private readonly LockedList<MetricSnapshot> _metrics = [];
    private OperabilityHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await OperabilityHost.StartAsync(
            new Dictionary<string, string?> { ["TraceReplay:Telemetry:Tracing"] = "true", ["TraceReplay:Telemetry:Metrics"] = "true" },
            services => services
                .ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans))
                .ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(_metrics)));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task AReplayIsOneTraceFromItsTriggerToItsLlmCallsAndMovesTheReplayCounters()
    {
        var startedBefore = Sum("tracereplay.replays.started", Model);
        var completedBefore = Sum("tracereplay.replays.completed", Model);
        var traceId = NewTraceId();
        var ingest = await _host.Client.PostAsJsonAsync("/api/v1/traces", Of(
            TraceCreate(traceId),
            LlmSpan(traceId, "llm-1", "first question"),
            LlmSpan(traceId, "llm-2", "second question")));
        Assert.Equal(HttpStatusCode.Created, ingest.StatusCode);

        var started = await _host.Client.PostAsJsonAsync($"/api/v1/traces/{traceId}/replays", new { model = Model });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var replayId = (string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!;

        var drive = await Eventually.ReturnsAsync(
            () => Task.FromResult(Flushed().FirstOrDefault(s => s.OperationName == "replay.drive" && Tag(s, "tracereplay.replay.id") == replayId)),
            s => s is not null,
            TimeSpan.FromSeconds(30),
            "the replay's drive span");

        var spans = Flushed();
        var trigger = Assert.Single(spans, s => s.Kind == ActivityKind.Server && Tag(s, "url.path") == $"/api/v1/traces/{traceId}/replays");
        Assert.Equal(trigger.TraceId, drive!.TraceId);
        var llmCalls = spans.Where(s => s.Source.Name == TraceReplayActivity.SourceName && s.OperationName == $"chat {Model}" && s.TraceId == trigger.TraceId).ToList();
        Assert.Equal(2, llmCalls.Count);
        Assert.All(llmCalls, call =>
        {
            Assert.Equal("fake", Tag(call, "gen_ai.system"));
            Assert.NotNull(call.GetTagItem("gen_ai.usage.input_tokens"));
            Assert.Equal(0, call.GetTagItem("tracereplay.llm.retries"));
        });
        Assert.Contains(spans, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.TraceId == trigger.TraceId);
        Assert.Contains(spans, s => s.Kind == ActivityKind.Client && s.Source.Name == "System.Net.Http" && s.TraceId == trigger.TraceId);

        Assert.True(Sum("tracereplay.replays.started", Model) >= startedBefore + 1, "replays.started did not move");
        Assert.True(Sum("tracereplay.replays.completed", Model) >= completedBefore + 1, "replays.completed did not move");
        Assert.True(Sum("tracereplay.llm.tokens", Model) > 0, "llm.tokens did not move");
    }

    private List<Activity> Flushed()
    {
        _host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        return _spans.Snapshot();
    }

    /// <summary>The counter's current sum over the points tagged with <paramref name="model"/>.</summary>
    private long Sum(string name, string model)
    {
        _host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var latest = _metrics.Snapshot().LastOrDefault(m => m.Name == name);
        if (latest is null)
        {
            return 0;
        }

        long sum = 0;
        foreach (var point in latest.MetricPoints)
        {
            foreach (var tag in point.Tags)
            {
                if (tag.Key == "model" && (string?)tag.Value == model)
                {
                    sum += point.GetSumLong();
                }
            }
        }

        return sum;
    }

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();
}
