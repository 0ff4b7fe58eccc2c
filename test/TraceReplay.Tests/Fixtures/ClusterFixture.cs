using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using TraceReplay.Grains;
using TraceReplay.Silo;
using TraceReplay.Tests.Fakes;

namespace TraceReplay.Tests.Fixtures;

/// <summary>One in-process Orleans cluster (one silo) talking real HTTP to a fake OpenAI-compatible server.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FakeOpenAiServer Llm { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        Llm = await FakeOpenAiServer.StartAsync();
        var settings = FakeLlmConfiguration.For(Llm);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(settings));
        builder.ConfigureSilo((_, silo) => silo.AddTraceReplay());
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Llm.DisposeAsync();
    }

    /// <summary>Ingests a trace under a fresh id and returns the id.</summary>
    public async Task<string> IngestAsync(TraceIngest trace, string? id = null)
    {
        id ??= "t-" + Guid.NewGuid().ToString("N");
        await Client.GetGrain<ITraceGrain>(id).IngestAsync(trace);
        return id;
    }

    public Task<ReplaySnapshot> WaitForReplayAsync(string replayId, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(
            async () => (await Client.GetGrain<IReplayGrain>(replayId).GetAsync())!,
            r => r.Status is ReplayStatus.Completed or ReplayStatus.Failed,
            timeout ?? TimeSpan.FromSeconds(60),
            $"replay {replayId} to finish");
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
