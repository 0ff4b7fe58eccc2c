using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Llm;

/// <summary>The LLM pool's slots go round between projects, so one project's queue cannot starve another.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class FairSlotsTests
{
    [Fact]
    public async Task AProjectWithOneCallWaitsBehindNoMoreThanOneCallOfAProjectThatQueuedMany()
    {
        var slots = new FairSlots(3);
        var held = new List<IDisposable>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await slots.WaitAsync("flood"));
        }

        var flooding = Enumerable.Range(0, 20).Select(_ => slots.WaitAsync("flood")).ToList();
        var other = slots.WaitAsync("other");

        held[0].Dispose();

        // The freed slot goes to the project that holds none, not to the long queue that arrived first.
        var granted = await other.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(flooding, f => Assert.False(f.IsCompleted));
        Assert.Equal(3, slots.InUse);
        granted.Dispose();
        await Task.WhenAny(flooding).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, flooding.Count(f => f.IsCompleted));
    }

    [Fact]
    public async Task SlotsGoRoundTheProjectsWithWaitingCallsAndEachProjectKeepsItsOrder()
    {
        var slots = new FairSlots(1);
        var first = await slots.WaitAsync("a");
        var order = new List<string>();
        var waiting = new List<Task>();
        foreach (var (project, n) in new[] { ("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("c", 1) })
        {
            var wait = slots.WaitAsync(project);
            waiting.Add(wait.ContinueWith(t =>
            {
                lock (order)
                {
                    order.Add($"{project}{n}");
                }

                t.Result.Dispose();
            }, TaskScheduler.Default));
        }

        first.Dispose();
        await Task.WhenAll(waiting);

        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3"], order);
    }

    [Fact]
    public async Task ACancelledWaiterGivesItsTurnToTheNext()
    {
        var slots = new FairSlots(1);
        var held = await slots.WaitAsync("a");
        using var cancel = new CancellationTokenSource();
        var cancelled = slots.WaitAsync("b", cancel.Token);
        var next = slots.WaitAsync("c");

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        held.Dispose();

        (await next).Dispose();
        Assert.Equal(0, slots.InUse);
        (await slots.WaitAsync("d")).Dispose();
    }
}
