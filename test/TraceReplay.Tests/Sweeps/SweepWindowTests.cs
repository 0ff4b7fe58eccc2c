using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>A sweep's entries: admission to the window, the budget ledger, counts and the chunks a checkpoint writes.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class SweepWindowTests
{
    private static readonly DateTimeOffset Day0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static SweepWindow Queued(int count) =>
        new(Enumerable.Range(0, count).Select(i => new SweepEntry($"t{i}", "agent", Day0, SweepTraceStatus.Queued)));

    private static void Start(SweepWindow window, int index, decimal? reserved = null) =>
        window.Set(index, window[index] with
        {
            Status = SweepTraceStatus.Running, ReplayId = $"r{index}/{window[index].Attempts + 1}", Attempts = window[index].Attempts + 1, EstimatedCost = reserved,
        });

    [Fact]
    public void TakeQueuedOffersEachQueuedEntryOnceInOrderAndAReturnedOneAgain()
    {
        var window = Queued(5);

        Assert.Equal([0, 1], window.TakeQueued(2));
        Assert.Equal([2, 3], window.TakeQueued(2));
        window.Return(1);
        Start(window, 0);

        Assert.Equal([1, 2, 3, 4], window.TakeQueued(10));
        Assert.Empty(window.TakeQueued(10));
    }

    [Fact]
    public void RunningEntriesAreFoundByTheirReplayIdUntilTheyFinish()
    {
        var window = Queued(3);
        Start(window, 1);

        Assert.Equal(1, window.Running["r1/1"]);
        Assert.Equal(1, window.Counts.Running);

        window.Set(1, window[1] with { Status = SweepTraceStatus.Completed, Cost = 0.5m });

        Assert.Empty(window.Running);
        Assert.Equal(new SweepCounts(3, 2, 0, 1, 0, 0), window.Counts);
        Assert.Equal(0.5m, window.Spend);
        Assert.False(window.IsDrained);
    }

    [Fact]
    public void AReservationThatWouldPassTheBudgetIsRefusedAndSetsNothingAside()
    {
        var window = Queued(3);

        Assert.True(window.TryReserve(0.4m, budget: 1m));
        Assert.True(window.TryReserve(0.4m, budget: 1m));
        Assert.False(window.TryReserve(0.4m, budget: 1m));
        Assert.Equal(0.8m, window.Committed);
    }

    [Fact]
    public void TheLedgerCountsReservationsUntilSettledThenTheRealCost()
    {
        var window = Queued(3);
        Assert.True(window.TryReserve(0.3m, budget: 1m));
        Start(window, 0, reserved: 0.3m);
        window.Release(0.3m);

        // Running: its reservation is committed.
        Assert.Equal(0.3m, window.Committed);

        // Completed: settled at its real cost, freeing the rest of the reservation.
        window.Set(0, window[0] with { Status = SweepTraceStatus.Completed, Cost = 0.1m });
        Assert.Equal(0.1m, window.Committed);
        Assert.True(window.TryReserve(0.9m, budget: 1m));
    }

    [Fact]
    public void AFailedReplayKeepsItsReservationCommittedSinceItsPartialSpendIsUnknown()
    {
        var window = Queued(2);
        Assert.True(window.TryReserve(0.6m, budget: 1m));
        Start(window, 0, reserved: 0.6m);
        window.Release(0.6m);

        window.Set(0, window[0] with { Status = SweepTraceStatus.Failed, Error = "LLM_ERROR" });

        Assert.Equal(0.6m, window.Committed);
        Assert.False(window.TryReserve(0.6m, budget: 1m));
    }

    [Fact]
    public void AStartThatDidNotHappenHandsItsReservationBack()
    {
        var window = Queued(1);
        Assert.True(window.TryReserve(1m, budget: 1m));

        window.Release(1m);

        Assert.Equal(0m, window.Committed);
        Assert.True(window.TryReserve(1m, budget: 1m));
    }

    [Fact]
    public void SkippingAndRequeueingMoveEveryMatchingEntry()
    {
        var window = Queued(4);
        Start(window, 0);
        window.Set(0, window[0] with { Status = SweepTraceStatus.Failed, Error = "x" });
        window.TakeQueued(1);

        Assert.Equal(3, window.SkipQueued());
        Assert.True(window.IsDrained);
        Assert.False(window.AllFailed);
        Assert.Equal(new SweepCounts(4, 0, 0, 0, 1, 3), window.Counts);

        Assert.Equal(1, window.RequeueFailed());
        Assert.Equal([0], window.TakeQueued(10));
        Assert.Equal(1, window[0].Attempts);
    }

    [Fact]
    public void OnlyTheChunksThatChangedAreTakenForACheckpoint()
    {
        var window = Queued((SweepWindow.ChunkSize * 3) + 10);
        Assert.Equal(4, SweepWindow.ChunkCount(window.Count));
        Assert.Equal(0, window.DirtyChunkCount);

        Start(window, 5);
        Start(window, (SweepWindow.ChunkSize * 3) + 2);
        var chunks = window.TakeDirtyChunks();

        Assert.Equal([0, 3], chunks.Select(c => c.Chunk));
        Assert.Equal(SweepWindow.ChunkSize, chunks[0].Entries.Count);
        Assert.Equal(10, chunks[1].Entries.Count);
        Assert.Equal(SweepTraceStatus.Running, chunks[1].Entries[2].Status);
        Assert.Equal(0, window.DirtyChunkCount);
    }

    [Fact]
    public void TheCostOfACheckpointDoesNotGrowWithTheSweep()
    {
        // The same progress on a sweep 100 times larger writes the same chunks.
        int Written(int size)
        {
            var window = Queued(size);
            foreach (var i in window.TakeQueued(50))
            {
                Start(window, i);
            }

            return window.TakeDirtyChunks().Sum(c => c.Entries.Count);
        }

        Assert.Equal(Written(2_000), Written(200_000));
    }

    [Fact]
    public void AWindowBuiltFromStoredEntriesCountsThemAsTheyWere()
    {
        var window = new SweepWindow([
            new SweepEntry("t0", "a", Day0, SweepTraceStatus.Completed, "r0", Cost: 0.2m, EstimatedCost: 0.5m, Attempts: 1),
            new SweepEntry("t1", "a", Day0, SweepTraceStatus.Running, "r1", EstimatedCost: 0.5m, Attempts: 1),
            new SweepEntry("t2", "a", Day0, SweepTraceStatus.Queued),
        ]);

        Assert.Equal(new SweepCounts(3, 1, 1, 1, 0, 0), window.Counts);
        Assert.Equal(0.7m, window.Committed);
        Assert.Equal(0.2m, window.Spend);
        Assert.Equal(1, window.Running["r1"]);
        Assert.Equal([2], window.TakeQueued(5));
    }

    [Fact]
    public void TheTimeLeftFollowsThePaceSoFar()
    {
        var counts = new SweepCounts(10, 4, 2, 3, 1, 0);

        Assert.Equal(TimeSpan.FromSeconds(60), SweepProgress.EstimatedTimeRemaining(SweepStatus.Running, Day0, Day0.AddSeconds(40), counts));
        Assert.Null(SweepProgress.EstimatedTimeRemaining(SweepStatus.Completed, Day0, Day0.AddSeconds(40), counts));
        Assert.Null(SweepProgress.EstimatedTimeRemaining(SweepStatus.Running, Day0, Day0.AddSeconds(40), counts with { Completed = 0, Failed = 0 }));
    }
}
