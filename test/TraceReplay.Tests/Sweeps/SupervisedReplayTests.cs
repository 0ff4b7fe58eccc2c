using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>Replays a sweep starts: ids the sweep chooses, starts that can be repeated, and no reminder of their own.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ClusterCollection.Name)]
public sealed class SupervisedReplayTests : IDisposable
{
    private static readonly ReplayOverrides Overrides = new("gpt-4o-mini", null, null);
    private readonly ClusterFixture _fixture;
    private readonly string _tag = FakeOpenAiServer.NewTag();

    public SupervisedReplayTests(ClusterFixture fixture)
    {
        _fixture = fixture;
        _fixture.Llm.Reset();
    }

    public void Dispose() => _fixture.Llm.Reset();

    [Fact]
    public void ASweepsReplayIdFollowsFromTheSweepThePlaceAndTheAttempt()
    {
        var id = SweepReplayId.For("swp_a", 3, 1);

        Assert.Equal(id, SweepReplayId.For("swp_a", 3, 1));
        Assert.Matches("^rpl_[0-9a-f]{32}$", id);
        Assert.NotEqual(id, SweepReplayId.For("swp_a", 3, 2));
        Assert.NotEqual(id, SweepReplayId.For("swp_a", 4, 1));
        Assert.NotEqual(id, SweepReplayId.For("swp_b", 3, 1));
    }

    [Fact]
    public async Task StartingASweepsReplayAgainAnswersWithTheSameReplayAndCallsTheModelOnce()
    {
        var traceId = await _fixture.IngestAsync(SampleTraces.Chain(2, tag: _tag));
        var trace = _fixture.Client.GetGrain<ITraceGrain>(traceId);
        var sweepId = "swp_" + Guid.NewGuid().ToString("N");
        var supervisor = new ReplaySupervisor(sweepId, SweepReplayId.For(sweepId, 0, 1));

        var first = await trace.StartReplayAsync(Overrides, supervisor);
        var second = await trace.StartReplayAsync(Overrides, supervisor);
        var done = await _fixture.WaitForReplayAsync(supervisor.ReplayId);
        var third = await trace.StartReplayAsync(Overrides, supervisor);

        Assert.Equal(supervisor.ReplayId, first.Replay!.Id);
        Assert.Equal(supervisor.ReplayId, second.Replay!.Id);
        Assert.Equal(ReplayStatus.Completed, done.Status);
        Assert.Equal(ReplayStatus.Completed, third.Replay!.Status);
        Assert.Equal(2, _fixture.Llm.Tagged(_tag).Count);
        var history = Assert.Single(await trace.GetReplaysAsync());
        Assert.Equal(ReplayStatus.Completed, history.Status);
    }

    [Fact]
    public async Task OnlyAReplayWithoutASupervisorRegistersAReminder()
    {
        _fixture.Llm.Delay = TimeSpan.FromMilliseconds(500);
        var trace = _fixture.Client.GetGrain<ITraceGrain>(await _fixture.IngestAsync(SampleTraces.Chain(1)));
        var sweepId = "swp_" + Guid.NewGuid().ToString("N");

        var alone = (await trace.StartReplayAsync(Overrides)).Replay!.Id;
        var supervised = (await trace.StartReplayAsync(Overrides, new ReplaySupervisor(sweepId, SweepReplayId.For(sweepId, 0, 1)))).Replay!.Id;

        Assert.Single(await RemindersOfAsync(alone));
        Assert.Empty(await RemindersOfAsync(supervised));
        await _fixture.WaitForReplayAsync(alone);
        await _fixture.WaitForReplayAsync(supervised);
        await Eventually.ReturnsAsync(() => RemindersOfAsync(alone), rows => rows.Count == 0, TimeSpan.FromSeconds(10), "the reminder of a finished replay to go");
    }

    private async Task<IReadOnlyList<ReminderEntry>> RemindersOfAsync(string replayId)
    {
        var table = _fixture.Cluster.Silos[0].SiloHost.Services.GetRequiredService<IReminderTable>();
        return [.. (await table.ReadRows(_fixture.Client.GetGrain<IReplayGrain>(replayId).GetGrainId())).Reminders];
    }
}
