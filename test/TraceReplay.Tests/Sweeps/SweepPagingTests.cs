using TraceReplay.Grains;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>
/// A sweep's targets and entries cross the wire in pages of <see cref="SweepPages.Size"/>, so no message grows with the
/// sweep: staged pages before the start, paged entry reads after.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ClusterCollection.Name)]
public sealed class SweepPagingTests(ClusterFixture fixture)
{
    private static SweepDefinition Definition(IReadOnlyList<SweepTarget> targets) => new(
        "paged sweep", TraceReplayNames.DefaultProject, targets, new ReplayOverrides("gpt-4o-mini", null, null), 1, null, 0.1,
        null, DateTimeOffset.UtcNow, "test");

    private static List<SweepTarget> Targets(int count, string prefix) =>
        [.. Enumerable.Range(0, count).Select(i => new SweepTarget($"{prefix}-{i}", "gone", SampleTraces.Start, null, null))];

    private static string NewSweepId() => "swp_" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task ASweepStartedInPagesHoldsEveryTargetInOrderAndAnswersItsEntriesPageByPage()
    {
        // Traces that do not exist: each replay start answers at once (TRACE_NOT_FOUND), so the sweep runs through fast.
        var prefix = "missing-" + Guid.NewGuid().ToString("N");
        var targets = Targets(2 * SweepPages.Size + 500, prefix);
        var sweep = fixture.Client.GetGrain<ISweepGrain>(NewSweepId());

        var started = await sweep.StartInPagesAsync(Definition(targets));
        var ended = await Eventually.ReturnsAsync(async () => (await sweep.GetAsync())!, s => s.CompletedAt is not null, TimeSpan.FromSeconds(60), "the sweep to end");

        Assert.Equal(targets.Count, started.Counts.Total);
        Assert.Equal(new SweepCounts(targets.Count, 0, 0, 0, targets.Count, 0), ended.Counts);
        var firstPage = (await sweep.GetEntriesAsync(0, 5 * SweepPages.Size))!;
        Assert.Equal(SweepPages.Size, firstPage.Entries.Count);
        Assert.Equal(targets.Count, firstPage.Total);
        var lastPage = (await sweep.GetEntriesAsync(2 * SweepPages.Size, SweepPages.Size))!;
        Assert.Equal(500, lastPage.Entries.Count);
        Assert.Empty((await sweep.GetEntriesAsync(targets.Count, SweepPages.Size))!.Entries);
        var entries = (await sweep.GetEntriesAsync())!;
        Assert.Equal(targets.Select(t => t.TraceId), entries.Select(e => e.TraceId));
        Assert.All(entries, e => Assert.StartsWith("TRACE_NOT_FOUND", e.Error, StringComparison.Ordinal));
        Assert.Null((await sweep.DeleteAsync()).Error);
    }

    [Fact]
    public async Task ARepeatedPageChangesNothingAndAGapOrAMissingPageIsRefusedBeforeAnythingStarts()
    {
        var prefix = "missing-" + Guid.NewGuid().ToString("N");
        var targets = Targets(SweepPages.Size + 10, prefix);
        var sweep = fixture.Client.GetGrain<ISweepGrain>(NewSweepId());

        await sweep.StageTargetsAsync(0, targets[..SweepPages.Size]);
        await sweep.StageTargetsAsync(0, targets[..SweepPages.Size]);
        await Assert.ThrowsAsync<ArgumentException>(() => sweep.StageTargetsAsync(SweepPages.Size + 1, targets[(SweepPages.Size + 1)..]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sweep.StageTargetsAsync(SweepPages.Size, Targets(SweepPages.Size + 1, prefix)));

        // The definition names more staged targets than arrived: refused, and no sweep exists.
        await Assert.ThrowsAsync<InvalidOperationException>(() => sweep.StartAsync(Definition([]) with { StagedTargets = targets.Count }));
        Assert.Null(await sweep.GetAsync());

        await sweep.StageTargetsAsync(SweepPages.Size, targets[SweepPages.Size..]);
        var started = await sweep.StartAsync(Definition([]) with { StagedTargets = targets.Count });

        Assert.Equal(targets.Count, started.Counts.Total);
        Assert.Equal(targets.Select(t => t.TraceId), (await sweep.GetEntriesAsync())!.Select(e => e.TraceId));
        await Eventually.ReturnsAsync(async () => (await sweep.GetAsync())!, s => s.CompletedAt is not null, TimeSpan.FromSeconds(60), "the sweep to end");
        Assert.Null((await sweep.DeleteAsync()).Error);
    }
}
