using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;
using TraceReplay.Silo;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Evaluation;

/// <summary>A one-silo cluster that keeps a trace's trace-events stream five seconds after its event.</summary>
public sealed class ShortTraceStreamClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TraceReplay:Evaluation:TraceStreamLifetime"] = "00:00:05",
            ["TraceReplay:Evaluation:SettleDelay"] = "00:00:00",
        }));
        builder.ConfigureSilo((_, silo) => silo.AddTraceReplay());
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The silo lets go of a trace's stream once its one event is delivered (TraceStreamLifetime after it), instead of
/// keeping about 1 KB per new trace for Orleans' default 30 minutes: what grew linearly with a sweep's replays.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class TraceStreamLifetimeTests(ShortTraceStreamClusterFixture fixture) : IClassFixture<ShortTraceStreamClusterFixture>
{
    // Orleans' gauge of the streams a pulling agent keeps consumer records for (its "pub-sub cache").
    private const string StreamsKept = "orleans-streams-persistent-stream-pubsub-cache-size";

    [Fact]
    public async Task AScoredTracesStreamIsReleasedAfterItsLifetime()
    {
        var client = fixture.Cluster.Client;
        var project = "p-" + Guid.NewGuid().ToString("N");
        await client.GetGrain<IEvaluatorRegistryGrain>(project)
            .CreateAsync(new NewEvaluator("mentions-order", "CONTAINS", """{"value":"order"}""", true));
        using var streams = new StreamsKeptGauge(fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IMeterFactory>());

        var traces = new List<ITraceGrain>();
        for (var i = 0; i < 5; i++)
        {
            var trace = client.GetGrain<ITraceGrain>(TraceKeys.For(project, "t-" + Guid.NewGuid().ToString("N")));
            await trace.IngestAsync(SampleTraces.Agent());
            traces.Add(trace);
        }

        // Each trace's event reached its evaluation grain through a stream the agent now keeps.
        await Eventually.ReturnsAsync(() => Task.FromResult(streams.Read()), kept => kept >= traces.Count, TimeSpan.FromSeconds(20),
            "the silo to hold the new traces' streams");
        foreach (var trace in traces)
        {
            await Eventually.ReturnsAsync(trace.GetEvaluationStatusAsync, s => s.Pending.Count == 0, TimeSpan.FromSeconds(20), "the trace to be scored");
        }

        // Orleans' default would keep them 30 minutes; the cleanup runs at a tenth of the lifetime.
        await Eventually.ReturnsAsync(() => Task.FromResult(streams.Read()), kept => kept == 0, TimeSpan.FromSeconds(30),
            "the silo to let go of the delivered traces' streams");
    }

    /// <summary>The sum of the gauge over this silo's pulling agents (its meters come from the silo's own factory).</summary>
    private sealed class StreamsKeptGauge : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _sum;

        public StreamsKeptGauge(IMeterFactory siloMeters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == StreamsKept && ReferenceEquals(instrument.Meter.Scope, siloMeters))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) => Interlocked.Add(ref _sum, value));
            _listener.Start();
        }

        public int Read()
        {
            Interlocked.Exchange(ref _sum, 0);
            _listener.RecordObservableInstruments();
            return Volatile.Read(ref _sum);
        }

        public void Dispose() => _listener.Dispose();
    }
}
