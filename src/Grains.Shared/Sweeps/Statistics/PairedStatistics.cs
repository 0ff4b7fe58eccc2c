using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;
using MathNet.Numerics.Statistics;

namespace TraceReplay.Grains.Sweeps.Statistics;

/// <summary>A confidence interval for a mean.</summary>
public sealed record ConfidenceInterval(double Lower, double Upper)
{
    public double HalfWidth => (Upper - Lower) / 2;

    public bool Contains(double value) => Lower <= value && value <= Upper;
}

/// <summary>How the Wilcoxon p-value was computed.</summary>
public enum WilcoxonMethod
{
    /// <summary>The exact null distribution of W+ (at most 25 non-zero differences, no ties).</summary>
    Exact = 0,

    /// <summary>The normal approximation with tie correction and continuity correction.</summary>
    Normal = 1,
}

/// <summary>
/// The Wilcoxon signed-rank test of paired differences. Zero differences are dropped (Wilcoxon's convention), tied
/// |differences| get their average rank. <see cref="Statistic"/> is W+, the rank sum of the positive differences.
/// </summary>
public sealed record WilcoxonResult(int NonZero, double Statistic, double? Z, double PValue, WilcoxonMethod Method);

/// <summary>Paired-sample statistics for sweeps: bootstrap CI of the mean difference, Wilcoxon signed-rank, percentiles.</summary>
public static class PairedStatistics
{
    /// <summary>The seed every bootstrap uses, so the same data always gives the same interval.</summary>
    public const int BootstrapSeed = 20_240_611;

    public const int DefaultResamples = 2_000;

    /// <summary>Differences closer than this are the same difference (scores like 0.8 − 0.7 and 0.9 − 0.8).</summary>
    private const int RoundingDigits = 9;

    private const int ExactLimit = 25;

    /// <summary>
    /// Percentile bootstrap interval of the mean of <paramref name="differences"/>: resample the pairs with replacement
    /// <paramref name="resamples"/> times (Mersenne Twister, fixed seed), take the 2.5 % and 97.5 % quantiles of the means.
    /// </summary>
    public static ConfidenceInterval BootstrapMeanInterval(
        IReadOnlyList<double> differences, int resamples = DefaultResamples, double level = 0.95, int seed = BootstrapSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1_000);
        if (differences.Count == 0)
        {
            return new ConfidenceInterval(0, 0);
        }

        var random = new MersenneTwister(seed);
        var means = new double[resamples];
        var n = differences.Count;
        for (var r = 0; r < resamples; r++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += differences[random.Next(n)];
            }

            means[r] = sum / n;
        }

        Array.Sort(means);
        var tail = (1 - level) / 2;
        return new ConfidenceInterval(
            SortedArrayStatistics.QuantileCustom(means, tail, QuantileDefinition.R7),
            SortedArrayStatistics.QuantileCustom(means, 1 - tail, QuantileDefinition.R7));
    }

    /// <summary>Two-sided Wilcoxon signed-rank test that the differences are centred on zero.</summary>
    public static WilcoxonResult WilcoxonSignedRank(IReadOnlyList<double> differences)
    {
        var nonZero = differences.Select(d => Math.Round(d, RoundingDigits)).Where(d => d != 0).ToList();
        var n = nonZero.Count;
        if (n == 0)
        {
            return new WilcoxonResult(0, 0, null, 1, WilcoxonMethod.Exact);
        }

        var ranks = AverageRanks(nonZero.Select(Math.Abs).ToList());
        var wPlus = nonZero.Select((d, i) => d > 0 ? ranks[i] : 0).Sum();
        var tieGroups = nonZero.GroupBy(Math.Abs).Select(g => g.Count()).Where(t => t > 1).ToList();

        if (n <= ExactLimit && tieGroups.Count == 0)
        {
            return new WilcoxonResult(n, wPlus, null, ExactPValue(n, (int)wPlus), WilcoxonMethod.Exact);
        }

        var mean = n * (n + 1) / 4.0;
        var variance = n * (n + 1) * (2.0 * n + 1) / 24.0 - tieGroups.Sum(t => (double)t * t * t - t) / 48.0;
        if (variance <= 0)
        {
            return new WilcoxonResult(n, wPlus, 0, 1, WilcoxonMethod.Normal);
        }

        var deviation = wPlus - mean;
        var corrected = Math.Sign(deviation) * Math.Max(0, Math.Abs(deviation) - 0.5);
        var z = corrected / Math.Sqrt(variance);
        var p = Math.Min(1, 2 * (1 - Normal.CDF(0, 1, Math.Abs(z))));
        return new WilcoxonResult(n, wPlus, z, p, WilcoxonMethod.Normal);
    }

    /// <summary>The <paramref name="quantile"/> (0–1) of the values by linear interpolation (R-7, numpy's default); null when empty.</summary>
    public static double? Percentile(IEnumerable<double> values, double quantile)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        Array.Sort(sorted);
        return SortedArrayStatistics.QuantileCustom(sorted, quantile, QuantileDefinition.R7);
    }

    /// <summary>Ranks 1..n of the values ascending; tied values share the average of their ranks.</summary>
    internal static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            var average = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = average;
            }

            start = end + 1;
        }

        return ranks;
    }

    /// <summary>Two-sided exact p: 2 × the smaller tail of W+ under the null, where each rank's sign is a fair coin.</summary>
    private static double ExactPValue(int n, int wPlus)
    {
        var maxSum = n * (n + 1) / 2;
        var counts = new double[maxSum + 1];
        counts[0] = 1;
        for (var rank = 1; rank <= n; rank++)
        {
            for (var sum = maxSum; sum >= rank; sum--)
            {
                counts[sum] += counts[sum - rank];
            }
        }

        var total = Math.Pow(2, n);
        var lower = counts.Take(wPlus + 1).Sum() / total;
        var upper = counts.Skip(wPlus).Sum() / total;
        return Math.Min(1, 2 * Math.Min(lower, upper));
    }
}
