using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>Results of a sweep built from fixed entries and scores.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class SweepReportBuilderTests
{
    private static readonly DateTimeOffset Day0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static TraceScore Score(string evaluator, double value, bool higherIsBetter = true) =>
        new(evaluator, evaluator, "LLM_JUDGE", value, null, null, 1, Day0, HigherIsBetter: higherIsBetter);

    private static SweepSnapshot Sweep(double threshold = 0.1, string? baseline = null) => new(
        "swp_test", "test", SweepStatus.Completed, ReplayOverrides.None, "tag=x", 3, null, threshold, baseline,
        new SweepCounts(0, 0, 0, 0, 0, 0), 0, Day0, Day0, Day0, null, null);

    private static SweepEntry Completed(int i, string name = "agent", decimal cost = 0.01m, decimal replayCost = 0.002m, double ms = 1000, double replayMs = 800, int dayOffset = 0) =>
        new($"t{i}", name, Day0.AddDays(dayOffset), SweepTraceStatus.Completed, $"r{i}", $"trace_r{i}", null, replayCost, replayMs,
            OriginalCost: cost, OriginalDurationMs: ms);

    /// <summary>20 traces whose helpfulness drops by 0.15 to 0.34 and whose brevity improves slightly but noisily.</summary>
    private static (List<SweepEntry> Entries, Dictionary<string, TraceScores> Scores) Regression()
    {
        var entries = new List<SweepEntry>();
        var scores = new Dictionary<string, TraceScores>();
        for (var i = 0; i < 20; i++)
        {
            entries.Add(Completed(i, i < 10 ? "agent" : "summarizer", dayOffset: i % 10));
            var original = 0.9 - i * 0.01;
            scores[$"t{i}"] = new TraceScores(
                [Score("helpfulness", original), Score("brevity", 0.5)],
                [Score("helpfulness", original - 0.15 - i * 0.01), Score("brevity", 0.5 + (i % 2 == 0 ? 0.02 : -0.02))]);
        }

        return (entries, scores);
    }

    [Fact]
    public void AConsistentScoreDropIsASignificantRegressionAndNoiseIsNot()
    {
        var (entries, scores) = Regression();

        var report = SweepReportBuilder.Build(Sweep(), entries, scores);

        var helpfulness = report.Evaluators.Single(e => e.EvaluatorId == "helpfulness");
        Assert.Equal(20, helpfulness.Pairs);
        Assert.Equal(Enumerable.Range(0, 20).Average(i => 0.9 - i * 0.01), helpfulness.MeanOriginal, 9);
        Assert.Equal(-Enumerable.Range(0, 20).Average(i => 0.15 + i * 0.01), helpfulness.MeanDifference, 9);
        Assert.True(helpfulness.Ci.Upper < 0);
        Assert.True(helpfulness.Wilcoxon.PValue < 0.001, $"p = {helpfulness.Wilcoxon.PValue}");
        Assert.Equal(SweepVerdict.Regressed, helpfulness.Verdict);

        var brevity = report.Evaluators.Single(e => e.EvaluatorId == "brevity");
        Assert.Equal(0, brevity.MeanDifference, 9);
        Assert.Equal(SweepVerdict.NoSignificantChange, brevity.Verdict);
        Assert.True(report.SignificantRegression);
    }

    [Fact]
    public void ALowerIsBetterScoreThatFallsIsAnImprovement()
    {
        var entries = Enumerable.Range(0, 12).Select(i => Completed(i)).ToList();
        var scores = entries.ToDictionary(e => e.TraceId, e => new TraceScores(
            [Score("toxicity", 0.4, higherIsBetter: false)], [Score("toxicity", 0.1, higherIsBetter: false)]));

        var report = SweepReportBuilder.Build(Sweep(), entries, scores);

        Assert.Equal(SweepVerdict.Improved, report.Evaluators.Single().Verdict);
        Assert.False(report.SignificantRegression);
        Assert.Empty(report.RegressedTraces);
    }

    [Fact]
    public void RegressedTracesAreTheOnesThatDroppedAtLeastTheThreshold()
    {
        var (entries, scores) = Regression();

        var report = SweepReportBuilder.Build(Sweep(threshold: 0.3), entries, scores);

        // Drops are 0.15 + i × 0.01: at least 0.3 from i = 15 on.
        Assert.Equal(["t19", "t18", "t17", "t16", "t15"], report.RegressedTraces.Select(r => r.TraceId));
        Assert.All(report.RegressedTraces, r => Assert.Equal("helpfulness", r.EvaluatorId));
        Assert.Equal(0.34, report.RegressedTraces[0].Drop, 9);
    }

    [Fact]
    public void CostTotalsDeltaAndMonthlyProjectionFollowTheObservedVolume()
    {
        var (entries, scores) = Regression();

        var report = SweepReportBuilder.Build(Sweep(), entries, scores);

        // 20 traces over 9 days of timestamps: 20/9 a day; each 0.01 → 0.002.
        Assert.Equal(0.2m, report.Cost.OriginalTotal);
        Assert.Equal(0.04m, report.Cost.ReplayTotal);
        Assert.Equal(-0.16m, report.Cost.Delta);
        Assert.Equal(-80, report.Cost.PercentDelta!.Value, 9);
        Assert.Equal(20 / 9.0, report.Cost.TracesPerDay, 9);
        Assert.Equal(Math.Round(0.01m * (decimal)(20 / 9.0 * 30), 6), report.Cost.ProjectedMonthlyOriginal);
        Assert.Equal(Math.Round(0.002m * (decimal)(20 / 9.0 * 30), 6), report.Cost.ProjectedMonthlyReplay);
    }

    [Fact]
    public void AnUnknownReplayCostMakesTheTotalUnknownNotZero()
    {
        List<SweepEntry> entries = [Completed(0), Completed(1) with { Cost = null }];

        var report = SweepReportBuilder.Build(Sweep(), entries, new Dictionary<string, TraceScores>());

        Assert.Equal(0.02m, report.Cost.OriginalTotal);
        Assert.Null(report.Cost.ReplayTotal);
        Assert.Null(report.Cost.Delta);
    }

    [Fact]
    public void LatencyPercentilesFailuresAndCohortsAreReported()
    {
        var durations = new double[] { 120, 340, 95, 410, 880, 150, 230, 1900, 310, 275 };
        var entries = durations.Select((d, i) => Completed(i, i < 6 ? "agent" : "summarizer", ms: d * 2, replayMs: d)).ToList();
        entries.Add(new SweepEntry("t-bad", "agent", Day0, SweepTraceStatus.Failed, "r-bad", Error: "PROVIDER_ERROR: overloaded", Attempts: 2));

        var report = SweepReportBuilder.Build(Sweep(), entries, new Dictionary<string, TraceScores>());

        Assert.Equal(292.5, report.Latency.ReplayP50Ms!.Value, 9);
        Assert.Equal(1441, report.Latency.ReplayP95Ms!.Value, 9);
        Assert.Equal(585, report.Latency.OriginalP50Ms!.Value, 9);
        var failure = Assert.Single(report.Failures);
        Assert.Equal(("t-bad", "PROVIDER_ERROR: overloaded", 2), (failure.TraceId, failure.Error, failure.Attempts));
        Assert.Equal(["agent", "summarizer"], report.Cohorts.Select(c => c.TraceName));
        Assert.Equal((7, 6, 1), (report.Cohorts[0].Traces, report.Cohorts[0].Completed, report.Cohorts[0].Failed));
        Assert.Equal(4, report.Cohorts[1].Latency.Traces);
    }

    [Fact]
    public void ADifferenceInsideTheBaselinesNoiseDoesNotExceedIt()
    {
        var (entries, scores) = Regression();
        var baseline = SweepReportBuilder.Build(Sweep(), entries, entries.ToDictionary(
            e => e.TraceId,
            e => new TraceScores([Score("helpfulness", 0.8), Score("brevity", 0.5)], [Score("helpfulness", 0.8 + (e.TraceId.Length % 2 == 0 ? 0.05 : -0.05)), Score("brevity", 0.5 + (int.Parse(e.TraceId[1..]) % 3 - 1) * 0.04)]))).Evaluators;

        var report = SweepReportBuilder.Build(Sweep(baseline: "swp_noise"), entries, scores, baseline);

        var helpfulness = report.Evaluators.Single(e => e.EvaluatorId == "helpfulness").Noise!;
        var brevity = report.Evaluators.Single(e => e.EvaluatorId == "brevity").Noise!;
        Assert.Equal("swp_noise", helpfulness.BaselineSweepId);
        Assert.True(helpfulness.ExceedsNoise, $"floor {helpfulness.NoiseFloor}");
        Assert.False(brevity.ExceedsNoise, $"floor {brevity.NoiseFloor}");
        var baselineBrevity = baseline.Single(e => e.EvaluatorId == "brevity");
        Assert.Equal(Math.Max(Math.Abs(baselineBrevity.Ci.Lower), Math.Abs(baselineBrevity.Ci.Upper)), brevity.NoiseFloor, 12);
    }

    [Fact]
    public void OnlyTraceLevelScoresOfTheLatestEvaluatorVersionWithoutErrorsCount()
    {
        IReadOnlyList<TraceScore> scores =
        [
            Score("helpfulness", 0.2),
            Score("helpfulness", 0.9) with { EvaluatorVersion = 2 },
            Score("helpfulness", 0.1) with { SpanId = "s1", EvaluatorVersion = 3 },
            Score("brevity", 0.5) with { Score = null, Error = "judge timed out" },
        ];

        var latest = SweepReportBuilder.Latest(scores);

        Assert.Equal(0.9, Assert.Single(latest).Value.Score);
    }
}
