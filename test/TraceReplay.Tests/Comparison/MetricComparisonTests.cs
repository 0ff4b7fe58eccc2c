using TraceReplay.Grains.Comparison;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Comparison;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class MetricComparisonTests
{
    [Fact]
    public void HalvingALowerIsBetterFigureIsDownFiftyPercentAndBetter()
    {
        var metric = MetricComparison.Of(200m, 100m, Preference.LowerIsBetter);

        Assert.Equal(-100m, metric.AbsoluteDelta);
        Assert.Equal(-50m, metric.PercentDelta);
        Assert.Equal(Trend.Down, metric.Trend);
        Assert.Equal(Verdict.Better, metric.Verdict);
    }

    [Fact]
    public void GrowingALowerIsBetterFigureIsUpAndWorse()
    {
        var metric = MetricComparison.Of(3m, 4m, Preference.LowerIsBetter);

        Assert.Equal(1m, metric.AbsoluteDelta);
        Assert.Equal(33.33m, metric.PercentDelta);
        Assert.Equal(Trend.Up, metric.Trend);
        Assert.Equal(Verdict.Worse, metric.Verdict);
    }

    [Theory]
    [InlineData(1000, 1009, "FLAT")]
    [InlineData(1000, 991, "FLAT")]
    [InlineData(1000, 1010, "UP")]
    [InlineData(1000, 990, "DOWN")]
    public void MovesUnderOnePercentAreFlatAndNeutral(int a, int b, string expected)
    {
        var metric = MetricComparison.Of(a, b, Preference.LowerIsBetter);

        Assert.Equal(expected, metric.Trend.ToString().ToUpperInvariant());
        Assert.Equal(expected == "FLAT" ? Verdict.Neutral : expected == "UP" ? Verdict.Worse : Verdict.Better, metric.Verdict);
    }

    [Fact]
    public void AnUnknownSideGivesNoDeltaAndAnUnknownTrend()
    {
        var metric = MetricComparison.Of(0.0123m, null, Preference.LowerIsBetter);

        Assert.Equal(0.0123m, metric.A);
        Assert.Null(metric.B);
        Assert.Null(metric.AbsoluteDelta);
        Assert.Null(metric.PercentDelta);
        Assert.Equal(Trend.Unknown, metric.Trend);
        Assert.Equal(Verdict.Unknown, metric.Verdict);
    }

    [Fact]
    public void GrowingFromZeroHasNoPercentButStillATrend()
    {
        var fromZero = MetricComparison.Of(0m, 2m, Preference.LowerIsBetter);
        var zeroToZero = MetricComparison.Of(0m, 0m, Preference.LowerIsBetter);

        Assert.Null(fromZero.PercentDelta);
        Assert.Equal(Trend.Up, fromZero.Trend);
        Assert.Equal(Verdict.Worse, fromZero.Verdict);
        Assert.Equal(0m, zeroToZero.PercentDelta);
        Assert.Equal(Trend.Flat, zeroToZero.Trend);
    }

    [Fact]
    public void AFigureWithoutPreferenceIsNeutralWhicheverWayItMoves()
    {
        Assert.Equal(Verdict.Neutral, MetricComparison.Of(5m, 9m, Preference.None).Verdict);
        Assert.Equal(Trend.Up, MetricComparison.Of(5m, 9m, Preference.None).Trend);
    }
}
