using Microsoft.Extensions.Configuration;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>The backfill poll setting under its new name, with its former one still read.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class SweepOptionsTests
{
    private static SweepOptions Bind(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create<string, string?>($"{SweepOptions.Section}:{s.Key}", s.Value)))
            .Build().GetSection(SweepOptions.Section).Get<SweepOptions>() ?? new SweepOptions();

    [Fact]
    public void TheBackfillPollIntervalIsReadUnderItsNewNameAndItsFormerOneAndTheNewNameWins()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), Bind().BackfillPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), Bind(("BackfillPollInterval", "00:00:03")).BackfillPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(4), Bind(("PollInterval", "00:00:04")).BackfillPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), Bind(("PollInterval", "00:00:04"), ("BackfillPollInterval", "00:00:03")).BackfillPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), Bind(("BackfillPollInterval", "00:00:03"), ("PollInterval", "00:00:04")).BackfillPollInterval);
    }
}
