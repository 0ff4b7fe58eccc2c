using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using Orleans.TestingHost;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Silo;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>
/// A sweep driven by its replays' pushes alone: its own one-silo cluster whose safety poll is ten minutes apart, so any
/// progress within a test's minute came from a push. Also the sweep's entries stored in chunks.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class SweepPushTests : IAsyncLifetime
{
    private FakeOpenAiServer _llm = null!;
    private InProcessTestCluster _cluster = null!;
    private readonly string _tag = FakeOpenAiServer.NewTag();

    private IClusterClient Client => _cluster.Client;

    public async Task InitializeAsync()
    {
        _llm = await FakeOpenAiServer.StartAsync();
        var settings = FakeLlmConfiguration.For(_llm);
        settings[$"{SweepOptions.Section}:{nameof(SweepOptions.SafetyPollInterval)}"] = "00:10:00";
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(settings));
        builder.ConfigureSilo((_, silo) => silo.AddTraceReplay());
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _llm.DisposeAsync();
    }

    private static SweepDefinition Definition(IReadOnlyList<SweepTarget> targets, int maxInFlight) => new(
        "push sweep", TraceReplayNames.DefaultProject, targets, new ReplayOverrides("gpt-4o-mini", null, null), maxInFlight, null, 0.1,
        null, DateTimeOffset.UtcNow, "test");

    private Task<SweepSnapshot> WaitForEndAsync(string sweepId) =>
        Eventually.ReturnsAsync(
            async () => (await Client.GetGrain<ISweepGrain>(sweepId).GetAsync())!, s => s.CompletedAt is not null, TimeSpan.FromSeconds(60), $"sweep {sweepId} to end");

    [Fact]
    public async Task EachFinishedReplayStartsTheNextWithoutWaitingForAPoll()
    {
        var targets = new List<SweepTarget>();
        for (var i = 0; i < 8; i++)
        {
            var id = "t-" + Guid.NewGuid().ToString("N");
            await Client.GetGrain<ITraceGrain>(id).IngestAsync(SampleTraces.Chain(1, tag: _tag));
            targets.Add(new SweepTarget(id, "chain", SampleTraces.Start, null, null));
        }

        var sweepId = "swp_" + Guid.NewGuid().ToString("N");
        await Client.GetGrain<ISweepGrain>(sweepId).StartAsync(Definition(targets, maxInFlight: 1));
        var ended = await WaitForEndAsync(sweepId);

        // One at a time: seven of the eight starts followed a push (a poll would have taken seventy minutes).
        Assert.Equal(SweepStatus.Completed, ended.Status);
        Assert.Equal(new SweepCounts(8, 0, 0, 8, 0, 0), ended.Counts);
        Assert.Equal(8, _llm.Tagged(_tag).Count);
        Assert.Equal(1, _llm.MaxConcurrent);
    }

    [Fact]
    public async Task APushRepeatedOrForAReplayTheSweepDidNotStartChangesNothing()
    {
        var id = "t-" + Guid.NewGuid().ToString("N");
        await Client.GetGrain<ITraceGrain>(id).IngestAsync(SampleTraces.Chain(1, tag: _tag));
        var sweepId = "swp_" + Guid.NewGuid().ToString("N");
        var sweep = Client.GetGrain<ISweepGrain>(sweepId);
        await sweep.StartAsync(Definition([new SweepTarget(id, "chain", SampleTraces.Start, null, null)], maxInFlight: 1));
        var ended = await WaitForEndAsync(sweepId);
        var entry = Assert.Single((await sweep.GetEntriesAsync())!);
        var replay = (await Client.GetGrain<IReplayGrain>(entry.ReplayId!).GetAsync())!;

        await sweep.ReplayFinishedAsync(replay);
        await sweep.ReplayFinishedAsync(replay with { Id = "rpl_" + Guid.NewGuid().ToString("N"), Status = ReplayStatus.Failed });

        var after = (await sweep.GetAsync())!;
        Assert.Equal((ended.Status, ended.Counts, ended.SpendUsd, ended.CompletedAt), (after.Status, after.Counts, after.SpendUsd, after.CompletedAt));
        Assert.Equal(entry, Assert.Single((await sweep.GetEntriesAsync())!));
    }

    [Fact]
    public async Task ASweepLargerThanAChunkIsStoredInChunksReadBackWholeAndDeletedWithThem()
    {
        // Traces that do not exist fail at once, so a sweep of several chunks runs in seconds.
        var count = (SweepWindow.ChunkSize * 2) + 7;
        var targets = Enumerable.Range(0, count)
            .Select(i => new SweepTarget($"missing-{Guid.NewGuid():N}", "gone", SampleTraces.Start, null, null)).ToList();
        var sweepId = "swp_" + Guid.NewGuid().ToString("N");
        var sweep = Client.GetGrain<ISweepGrain>(sweepId);
        await sweep.StartInPagesAsync(Definition(targets, maxInFlight: 100));
        var ended = await WaitForEndAsync(sweepId);

        await sweep.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var entries = (await sweep.GetEntriesAsync())!;

        Assert.Equal(SweepStatus.Failed, ended.Status);
        Assert.Equal(targets.Select(t => t.TraceId), entries.Select(e => e.TraceId));
        Assert.All(entries, e => Assert.StartsWith("TRACE_NOT_FOUND", e.Error, StringComparison.Ordinal));
        Assert.Equal(count, (await ChunkEntriesAsync(sweepId, chunks: 3)).Count);

        Assert.NotNull((await sweep.DeleteAsync()).Sweep);
        Assert.Empty(await ChunkEntriesAsync(sweepId, chunks: 3));
    }

    private Task<List<SweepEntry>> ChunkEntriesAsync(string sweepId, int chunks)
    {
        var storage = _cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.SweepStorage);
        return new SweepChunkStore(storage, sweepId).ReadAsync(chunks);
    }
}
