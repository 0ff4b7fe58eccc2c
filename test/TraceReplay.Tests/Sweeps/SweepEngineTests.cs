using Orleans.Core.Internal;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>The SweepGrain on a one-silo test cluster against the fake OpenAI-compatible server.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ClusterCollection.Name)]
public sealed class SweepEngineTests : IDisposable
{
    private readonly ClusterFixture _fixture;
    private readonly string _tag = FakeOpenAiServer.NewTag();

    public SweepEngineTests(ClusterFixture fixture)
    {
        _fixture = fixture;
        _fixture.Llm.Reset();
    }

    public void Dispose() => _fixture.Llm.Reset();

    private async Task<List<SweepTarget>> IngestChainsAsync(int count)
    {
        var targets = new List<SweepTarget>();
        for (var i = 0; i < count; i++)
        {
            targets.Add(new SweepTarget(await _fixture.IngestAsync(SampleTraces.Chain(1, tag: _tag)), "chain", SampleTraces.Start, null, null));
        }

        return targets;
    }

    private static SweepDefinition Definition(IReadOnlyList<SweepTarget> targets, int? maxInFlight = null, decimal? budget = null) => new(
        "test sweep", TraceReplayNames.DefaultProject, targets, new ReplayOverrides("gpt-4o-mini", null, null), maxInFlight, budget, 0.1,
        null, DateTimeOffset.UtcNow, "test");

    private static string NewSweepId() => "swp_" + Guid.NewGuid().ToString("N");

    private Task<SweepSnapshot> WaitAsync(string sweepId, Func<SweepSnapshot, bool> done, string what, int seconds = 60) =>
        Eventually.ReturnsAsync(
            async () => (await _fixture.Client.GetGrain<ISweepGrain>(sweepId).GetAsync())!, done, TimeSpan.FromSeconds(seconds), what);

    private Task<SweepSnapshot> WaitForEndAsync(string sweepId, int seconds = 60) =>
        WaitAsync(sweepId, s => s.CompletedAt is not null, $"sweep {sweepId} to end", seconds);

    [Fact]
    public async Task NoMoreReplaysThanMaxInFlightCallTheProviderAtOnce()
    {
        _fixture.Llm.Delay = TimeSpan.FromMilliseconds(150);
        var sweepId = NewSweepId();

        await _fixture.Client.GetGrain<ISweepGrain>(sweepId).StartAsync(Definition(await IngestChainsAsync(10), maxInFlight: 2));
        var sweep = await WaitForEndAsync(sweepId);

        Assert.Equal(SweepStatus.Completed, sweep.Status);
        Assert.Equal(new SweepCounts(10, 0, 0, 10, 0, 0), sweep.Counts);
        Assert.Equal(10, _fixture.Llm.Tagged(_tag).Count);
        Assert.Equal(2, _fixture.Llm.MaxConcurrent);
    }

    [Fact]
    public async Task CancelStartsNothingMoreAndCountsTheReplaysThatWereInFlight()
    {
        _fixture.Llm.Delay = TimeSpan.FromMilliseconds(300);
        var sweepId = NewSweepId();
        var sweep = _fixture.Client.GetGrain<ISweepGrain>(sweepId);
        await sweep.StartAsync(Definition(await IngestChainsAsync(20), maxInFlight: 2));
        // The sweep's counts are those last checkpointed (they never go back, but trail by up to a second): cancel as
        // soon as the provider has seen a first call instead.
        await Eventually.ReturnsAsync(() => Task.FromResult(_fixture.Llm.Tagged(_tag).Count), n => n >= 1, TimeSpan.FromSeconds(60), "a first LLM call");

        var cancelled = await sweep.CancelAsync();
        var ended = await WaitForEndAsync(sweepId);

        Assert.Equal(SweepStatus.Cancelled, cancelled.Sweep!.Status);
        Assert.Equal(SweepStatus.Cancelled, ended.Status);
        Assert.Equal(0, ended.Counts.Queued);
        Assert.True(ended.Counts.Skipped >= 15, $"skipped {ended.Counts.Skipped}");
        Assert.Equal(ended.Counts.Completed, _fixture.Llm.Tagged(_tag).Count);
        Assert.Equal(ErrorKind.Conflict, (await sweep.CancelAsync()).Error!.Kind);
        Assert.Equal(ErrorKind.Conflict, (await sweep.RetryFailedAsync()).Error!.Kind);
    }

    [Fact]
    public async Task TheSweepStopsBeforeSpendWouldPassTheBudget()
    {
        // Each trace records 100 prompt and 20 completion tokens; a replay reserves 125 prompt and 40 completion tokens,
        // $0.00004275 at gpt-4o-mini's price, so two reservations fit and a third does not.
        var budget = 0.0001m;
        var sweepId = NewSweepId();

        await _fixture.Client.GetGrain<ISweepGrain>(sweepId).StartAsync(Definition(await IngestChainsAsync(20), maxInFlight: 3, budget: budget));
        var sweep = await WaitForEndAsync(sweepId);

        Assert.Equal(SweepStatus.BudgetExceeded, sweep.Status);
        Assert.Contains("budget", sweep.StopReason);
        Assert.InRange(sweep.Counts.Completed, 2, 19);
        Assert.True(sweep.Counts.Skipped > 0);
        Assert.True(sweep.SpendUsd <= budget, $"spent {sweep.SpendUsd}");
        Assert.Equal(sweep.Counts.Completed, _fixture.Llm.Tagged(_tag).Count);
    }

    [Fact]
    public async Task ABudgetIsAHardCapWhenTheProviderAnswersLongerThanRecorded()
    {
        // Recorded: 100 prompt and 20 completion tokens a trace. The provider wants to answer with 250 tokens, so a
        // sweep that reserved the recorded cost would spend about twice what it reserved.
        _fixture.Llm.Responder = _ => new Fakes.FakeReply(Content: new string('x', 1000));
        _fixture.Llm.Delay = TimeSpan.FromMilliseconds(50);
        var budget = 0.0002m;
        var sweepId = NewSweepId();

        await _fixture.Client.GetGrain<ISweepGrain>(sweepId).StartAsync(Definition(await IngestChainsAsync(30), maxInFlight: 8, budget: budget));
        var sweep = await WaitForEndAsync(sweepId);
        var entries = (await _fixture.Client.GetGrain<ISweepGrain>(sweepId).GetEntriesAsync())!;

        Assert.Equal(SweepStatus.BudgetExceeded, sweep.Status);
        Assert.True(sweep.SpendUsd <= budget, $"spent {sweep.SpendUsd} of {budget}");
        Assert.True(sweep.Counts.Completed >= 4, $"completed {sweep.Counts.Completed}");
        Assert.Equal(0, sweep.Counts.Failed);
        Assert.All(_fixture.Llm.Tagged(_tag), r => Assert.Equal(40, (int)r.Body["max_completion_tokens"]!));
        Assert.All(entries.Where(e => e.Status == SweepTraceStatus.Completed), e => Assert.True(e.Cost <= e.EstimatedCost, $"cost {e.Cost} over reservation {e.EstimatedCost}"));
    }

    [Fact]
    public async Task ASweepResumesAfterDeactivationWithoutReplayingAnyTraceTwice()
    {
        _fixture.Llm.Delay = TimeSpan.FromMilliseconds(200);
        var sweepId = NewSweepId();
        var sweep = _fixture.Client.GetGrain<ISweepGrain>(sweepId);
        var targets = await IngestChainsAsync(12);
        await sweep.StartAsync(Definition(targets, maxInFlight: 2));
        await WaitAsync(sweepId, s => s.Counts.Completed >= 2, "two replays");

        await sweep.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var ended = await WaitForEndAsync(sweepId);

        Assert.Equal(SweepStatus.Completed, ended.Status);
        Assert.Equal(12, ended.Counts.Completed);
        Assert.Equal(12, _fixture.Llm.Tagged(_tag).Count);
        foreach (var target in targets)
        {
            Assert.Single(await _fixture.Client.GetGrain<ITraceGrain>(target.TraceId).GetReplaysAsync());
        }
    }

    [Fact]
    public async Task RetryFailedRequeuesTheFailedTracesAndCompletesThem()
    {
        var failing = true;
        _fixture.Llm.Responder = _ => Volatile.Read(ref failing) ? new Fakes.FakeReply(Status: 400, Content: "bad request") : null;
        var sweepId = NewSweepId();
        var sweep = _fixture.Client.GetGrain<ISweepGrain>(sweepId);
        await sweep.StartAsync(Definition(await IngestChainsAsync(4), maxInFlight: 2));
        var failed = await WaitForEndAsync(sweepId);
        Assert.Equal((SweepStatus.Failed, 4), (failed.Status, failed.Counts.Failed));

        Volatile.Write(ref failing, false);
        var retried = await sweep.RetryFailedAsync();
        var ended = await WaitForEndAsync(sweepId);

        Assert.Equal(SweepStatus.Running, retried.Sweep!.Status);
        Assert.Equal((SweepStatus.Completed, 4, 0), (ended.Status, ended.Counts.Completed, ended.Counts.Failed));
        var entries = await sweep.GetEntriesAsync();
        Assert.All(entries!, e => Assert.Equal(2, e.Attempts));
    }

    [Fact]
    public async Task ATwoHundredTraceSweepSizedToTheClusterPoolCompletes()
    {
        var sweepId = NewSweepId();

        var started = await _fixture.Client.GetGrain<ISweepGrain>(sweepId).StartAsync(Definition(await IngestChainsAsync(200)));
        var sweep = await WaitForEndAsync(sweepId, seconds: 90);

        Assert.Equal(SweepStatus.Pending, started.Status);
        Assert.Equal(SweepStatus.Completed, sweep.Status);
        Assert.Equal(200, sweep.Counts.Completed);
        Assert.Equal(SweepOptions.ReplaysPerPoolSlot * LlmSpanWorker.ActivationsPerSilo, sweep.MaxInFlight);
        Assert.True(_fixture.Llm.MaxConcurrent <= LlmSpanWorker.ActivationsPerSilo);
    }
}
