using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Silo;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Evaluation;

/// <summary>A one-silo cluster whose TraceCreated events are all lost, with a re-drive interval of one second.</summary>
public sealed class LostEventsClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TraceReplay:Evaluation:RedriveInterval"] = "00:00:01",
            ["TraceReplay:Evaluation:SettleDelay"] = "00:00:00",
        }));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddTraceReplay();
            silo.Services.AddSingleton<ITraceEventPublisher, DroppingPublisher>();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Loses every event, as a crashed silo or a broken stream would.</summary>
    private sealed class DroppingPublisher : ITraceEventPublisher
    {
        public Task PublishAsync(TraceCreated created) => Task.CompletedTask;
    }
}

/// <summary>Pending evaluations survive a lost event: the trace's reminder re-drives them.</summary>
public sealed class DroppedEventTests(LostEventsClusterFixture fixture) : IClassFixture<LostEventsClusterFixture>
{
    [Fact]
    public async Task ATraceWhoseEventWasLostIsStillScoredExactlyOnce()
    {
        var client = fixture.Cluster.Client;
        var created = await client.GetGrain<IEvaluatorRegistryGrain>(TraceReplayNames.DefaultProject)
            .CreateAsync(new NewEvaluator("mentions-order-" + Guid.NewGuid().ToString("N"), "CONTAINS", """{"value":"order"}""", true));
        var traceId = "t-" + Guid.NewGuid().ToString("N");
        var trace = client.GetGrain<ITraceGrain>(traceId);

        await trace.IngestAsync(SampleTraces.Agent());
        Assert.Single((await trace.GetEvaluationStatusAsync()).Pending);
        var status = await Eventually.ReturnsAsync(trace.GetEvaluationStatusAsync, s => s.Pending.Count == 0, TimeSpan.FromSeconds(20), "the re-drive to score the trace");

        Assert.Equal(1, status.Total);
        var score = Assert.Single(await trace.GetScoresAsync());
        Assert.Equal(created.Evaluator!.Id, score.EvaluatorId);
        Assert.Equal("pass", score.Label);
    }
}
