using TraceReplay.Grains;
using TraceReplay.Grains.Replays;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Replays;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class ReplayLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ReplayError Reason = new("PROVIDER_ERROR", "boom", 500);

    private static ReplayLifecycle In(ReplayStatus status) => status switch
    {
        ReplayStatus.Pending => ReplayLifecycle.Created(T0),
        ReplayStatus.Running => ReplayLifecycle.Created(T0).Start(T0.AddSeconds(1)),
        ReplayStatus.Completed => ReplayLifecycle.Created(T0).Start(T0.AddSeconds(1)).Complete(T0.AddSeconds(2)),
        ReplayStatus.Failed => ReplayLifecycle.Created(T0).Start(T0.AddSeconds(1)).Fail(T0.AddSeconds(2), Reason),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    private static ReplayLifecycle Move(ReplayLifecycle life, ReplayStatus to, DateTimeOffset at) => to switch
    {
        ReplayStatus.Running => life.Start(at),
        ReplayStatus.Completed => life.Complete(at),
        ReplayStatus.Failed => life.Fail(at, Reason),
        _ => throw new InvalidReplayTransitionException(life.Status, to),
    };

    public static TheoryData<ReplayStatus, ReplayStatus, bool> AllTransitions()
    {
        var legal = new HashSet<(ReplayStatus, ReplayStatus)>
        {
            (ReplayStatus.Pending, ReplayStatus.Running),
            (ReplayStatus.Pending, ReplayStatus.Failed),
            (ReplayStatus.Running, ReplayStatus.Completed),
            (ReplayStatus.Running, ReplayStatus.Failed),
        };
        var data = new TheoryData<ReplayStatus, ReplayStatus, bool>();
        foreach (var from in Enum.GetValues<ReplayStatus>())
        {
            foreach (var to in Enum.GetValues<ReplayStatus>())
            {
                data.Add(from, to, legal.Contains((from, to)));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllTransitions))]
    public void OnlyTheDocumentedTransitionsAreAllowed(ReplayStatus from, ReplayStatus to, bool legal)
    {
        var life = In(from);
        var at = T0.AddMinutes(5);
        if (!legal)
        {
            var error = Assert.Throws<InvalidReplayTransitionException>(() => Move(life, to, at));
            Assert.Equal(from, error.From);
            Assert.Equal(to, error.To);
            return;
        }

        var moved = Move(life, to, at);
        Assert.Equal(to, moved.Status);
        Assert.Equal(T0, moved.CreatedAt);
        if (to == ReplayStatus.Running)
        {
            Assert.Equal(at, moved.StartedAt);
            Assert.Null(moved.CompletedAt);
        }
        else
        {
            Assert.Equal(at, moved.CompletedAt);
        }

        Assert.Equal(to == ReplayStatus.Failed ? Reason : null, moved.Error);
    }

    [Fact]
    public void ANewReplayIsPendingWithOnlyItsCreationTime()
    {
        var life = ReplayLifecycle.Created(T0);
        Assert.Equal(ReplayStatus.Pending, life.Status);
        Assert.Null(life.StartedAt);
        Assert.Null(life.CompletedAt);
        Assert.False(life.IsFinished);
    }
}
