using TraceReplay.Tests.Fixtures;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Grains.Evaluation.Evaluators;
using static TraceReplay.Tests.Evaluation.EvaluationTestData;

namespace TraceReplay.Tests.Evaluation;

/// <summary>An evaluator's config is read into typed settings once per evaluator id and version, not per trace.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class EvaluatorSettingsCacheTests
{
    private static EvaluatorCatalog Catalog() =>
        new((_, _) => throw new InvalidOperationException("no LLM in this test"), Http, "gpt-4o-mini", new WebhookOptions { AllowPrivateNetworks = true });

    [Fact]
    public void TheSameEvaluatorVersionSharesOneParsedSettingsWithItsCompiledPattern()
    {
        var catalog = Catalog();
        var definition = Definition("REGEX", """{"pattern":"ORD-\\d{5}"}""");

        var first = catalog.Prepare(definition);
        var second = catalog.Prepare(definition with { UpdatedAt = definition.UpdatedAt.AddSeconds(1) });

        Assert.Null(first.Error);
        Assert.Same(first, second);
        var settings = Assert.IsType<RegexEvaluator.Settings>(first.Settings);
        Assert.Same(settings.Pattern, Assert.IsType<RegexEvaluator.Settings>(second.Settings).Pattern);
    }

    [Fact]
    public void ANewVersionOfTheEvaluatorIsReadAfresh()
    {
        var catalog = Catalog();
        var v1 = Definition("REGEX", """{"pattern":"ORD-\\d{5}"}""");
        var v2 = v1 with { Version = 2, ConfigJson = """{"pattern":"INV-\\d{3}"}""" };

        var before = catalog.Prepare(v1);
        var after = catalog.Prepare(v2);

        Assert.NotSame(before, after);
        Assert.Equal("INV-\\d{3}", Assert.IsType<RegexEvaluator.Settings>(after.Settings).Pattern.ToString());
    }

    [Fact]
    public void AConfigChangedWithoutANewVersionIsNotScoredWithStaleSettings()
    {
        var catalog = Catalog();
        var v1 = Definition("CONTAINS", """{"value":"refund"}""");

        catalog.Prepare(v1);
        var edited = catalog.Prepare(v1 with { ConfigJson = """{"value":"credit"}""" });

        Assert.Equal(["credit"], Assert.IsType<ContainsEvaluator.Settings>(edited.Settings).Values);
    }

    [Fact]
    public async Task OneRunnerScoresEachVersionWithItsOwnConfig()
    {
        var runner = Runner();
        var v1 = Definition("CONTAINS", """{"value":"refund"}""");
        var v2 = v1 with { Version = 2, ConfigJson = """{"value":"credit"}""" };
        var trace = Agent("We issued a refund.");

        var first = await runner.RunAsync(v1, trace, null);
        var again = await runner.RunAsync(v1, trace, null);
        var second = await runner.RunAsync(v2, trace, null);

        Assert.Equal("pass", first.Label);
        Assert.Equal("pass", again.Label);
        Assert.Equal("fail", second.Label);
        Assert.Equal(2, second.EvaluatorVersion);
    }

    [Fact]
    public async Task AConfigThatNoLongerParsesIsRecordedAsTheEvaluatorsErrorNotAScore()
    {
        var score = await Runner().RunAsync(Definition("REGEX", """{"pattern":"("}"""), Agent("anything"), null);

        Assert.Null(score.Score);
        Assert.Contains("config.pattern", score.Error);
    }
}
