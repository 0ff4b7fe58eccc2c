using TraceReplay.Grains.Sweeps.Statistics;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>
/// The sweep statistics against values computed independently: scipy's documented Wilcoxon example, and a separate
/// plain-Python implementation (enumerating all 2^n sign patterns for exact p; erfc for the normal approximation).
/// </summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class PairedStatisticsTests
{
    // Darwin's paired plant heights, the example of scipy.stats.wilcoxon's documentation: statistic 24 (= W−), p = 0.041259765625.
    private static readonly double[] Darwin = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];

    [Fact]
    public void WilcoxonExactPValueMatchesScipysDocumentedExample()
    {
        var result = PairedStatistics.WilcoxonSignedRank(Darwin);

        Assert.Equal(WilcoxonMethod.Exact, result.Method);
        Assert.Equal(15, result.NonZero);
        Assert.Equal(96, result.Statistic);   // W+ = 120 − W−, W− = 10 + 14 = 24
        Assert.Equal(0.041259765625, result.PValue, 12);
    }

    [Fact]
    public void WilcoxonExactPValueOfSmallScoreDifferencesMatchesFullEnumeration()
    {
        double[] differences = [0.12, -0.05, 0.31, 0.08, -0.02, 0.22, 0.17, 0.04, -0.11, 0.27];

        var result = PairedStatistics.WilcoxonSignedRank(differences);

        Assert.Equal(46, result.Statistic);
        Assert.Equal(0.064453125, result.PValue, 12);
    }

    [Fact]
    public void WilcoxonWithTiesAndZerosDropsZerosAndUsesTheTieCorrectedNormalApproximation()
    {
        // Three zeros; ties everywhere; 0.1 + 0.2 style floating differences must tie with 0.3.
        double[] differences =
        [
            0.1, 0.1, -0.1, 0.2, 0.2, 0.2, 0, 0, -0.3, 0.4, 0.1, 0.5, -0.2, 0.1 + 0.2, 0.3, 0.6, 0.1, 0.0, 0.2, -0.1, 0.4, 0.5,
            0.3, 0.2, 0.1, -0.4, 0.2, 0.3,
        ];

        var result = PairedStatistics.WilcoxonSignedRank(differences);

        Assert.Equal(WilcoxonMethod.Normal, result.Method);
        Assert.Equal(25, result.NonZero);
        Assert.Equal(268, result.Statistic);
        Assert.Equal(2.8429041335867438, result.Z!.Value, 9);
        Assert.Equal(0.004470451480288144, result.PValue, 9);
    }

    [Fact]
    public void WilcoxonOfNoDifferenceIsNotSignificant()
    {
        Assert.Equal(1, PairedStatistics.WilcoxonSignedRank([0, 0, 0, 0]).PValue);
        Assert.Equal(1, PairedStatistics.WilcoxonSignedRank([]).PValue);
    }

    [Fact]
    public void TiedValuesShareTheAverageOfTheirRanks()
    {
        Assert.Equal([1, 3, 3, 3, 5.5, 5.5], PairedStatistics.AverageRanks([0.1, 0.2, 0.2, 0.2, 0.4, 0.4]));
    }

    [Fact]
    public void BootstrapIntervalIsRepeatableAndAgreesWithTheNormalIntervalOnALargeSample()
    {
        var random = new Random(7);
        var differences = Enumerable.Range(0, 400).Select(_ => 0.05 + (random.NextDouble() - 0.5) * 0.4).ToList();
        var mean = differences.Average();
        var sd = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (differences.Count - 1));
        var halfWidth = 1.959964 * sd / Math.Sqrt(differences.Count);

        var first = PairedStatistics.BootstrapMeanInterval(differences);
        var second = PairedStatistics.BootstrapMeanInterval(differences);

        Assert.Equal(first, second);
        Assert.True(first.Contains(mean));
        Assert.Equal(mean - halfWidth, first.Lower, 0.0025);
        Assert.Equal(mean + halfWidth, first.Upper, 0.0025);
    }

    [Fact]
    public void BootstrapOfAConstantDifferenceIsThatDifferenceAndRefusesTooFewResamples()
    {
        var interval = PairedStatistics.BootstrapMeanInterval([-0.2, -0.2, -0.2]);
        Assert.Equal(-0.2, interval.Lower, 12);
        Assert.Equal(-0.2, interval.Upper, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedStatistics.BootstrapMeanInterval([1, 2], resamples: 999));
    }

    [Fact]
    public void PercentilesInterpolateLinearlyAsNumpyDoes()
    {
        double[] latencies = [120, 340, 95, 410, 880, 150, 230, 1900, 310, 275];

        Assert.Equal(292.5, PairedStatistics.Percentile(latencies, 0.5)!.Value, 9);
        Assert.Equal(1441, PairedStatistics.Percentile(latencies, 0.95)!.Value, 9);
        Assert.Null(PairedStatistics.Percentile([], 0.5));
    }
}
