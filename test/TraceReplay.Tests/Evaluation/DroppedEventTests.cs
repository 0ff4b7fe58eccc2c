using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Orleans.Configuration;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Grains.Traces;
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
            // The reminder service reads reminders written to the table (as by an earlier version) within a second.
            silo.Services.Configure<ReminderOptions>(o => o.RefreshReminderListPeriod = TimeSpan.FromSeconds(1));
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

/// <summary>Pending evaluations survive a lost event: evaluation recovery re-drives them.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
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

    [Fact]
    public async Task APendingTraceWithAReminderFromBeforeTheCatalogFlagIsHandedToRecoveryAndScoredOnce()
    {
        var client = fixture.Cluster.Client;
        var silo = fixture.Cluster.Silos[0].ServiceProvider;
        var project = "p-" + Guid.NewGuid().ToString("N");
        await client.GetGrain<IEvaluatorRegistryGrain>(project)
            .CreateAsync(new NewEvaluator("mentions-order", "CONTAINS", """{"value":"order"}""", true));
        var traceId = "t-" + Guid.NewGuid().ToString("N");
        var trace = client.GetGrain<ITraceGrain>(TraceKeys.For(project, traceId));
        await trace.IngestAsync(SampleTraces.Agent());

        // What an earlier version left: no pending flag on the row, a per-trace re-drive reminder instead.
        await silo.GetRequiredService<ITraceCatalog>().MarkEvaluatedAsync(project, traceId);
        await silo.GetRequiredService<IReminderTable>().UpsertRow(new ReminderEntry
        {
            GrainId = trace.GetGrainId(), ReminderName = "redrive-evaluations", StartAt = DateTime.UtcNow, Period = TimeSpan.FromSeconds(1),
        });

        await Eventually.ReturnsAsync(trace.GetEvaluationStatusAsync, s => s.Pending.Count == 0, TimeSpan.FromSeconds(20), "recovery to score the trace");
        Assert.Single(await trace.GetScoresAsync());
        await Eventually.ReturnsAsync(
            async () => (await silo.GetRequiredService<IReminderTable>().ReadRows(trace.GetGrainId())).Reminders.Count,
            count => count == 0, TimeSpan.FromSeconds(10), "the old reminder to be unregistered");
    }
}
