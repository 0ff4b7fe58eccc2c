using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Llm;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class ModelPriceTableTests
{
    private static ModelPriceTable Shipped(Dictionary<string, ModelPriceOverride>? prices = null) =>
        new(Options.Create(new LlmOptions { Prices = prices ?? new(StringComparer.OrdinalIgnoreCase) }));

    [Fact]
    public void ShippedTableCoversManyModelsFromSeveralProviders()
    {
        var prices = ModelPriceTable.LoadShipped();

        Assert.True(prices.Count >= 50, $"Only {prices.Count} models are priced.");
        Assert.True(prices.Select(p => p.Provider).Distinct().Count() >= 5);
    }

    [Fact]
    public void ShippedTableHasNoNegativePriceAndNoDuplicateModel()
    {
        var prices = ModelPriceTable.LoadShipped();
        var history = ModelPriceTable.LoadShippedHistory();
        Assert.All(history, p => Assert.NotNull(p.EffectiveFrom));
        Assert.Equal(history.Count, history.Select(p => (p.Model.ToLowerInvariant(), p.EffectiveFrom)).Distinct().Count());

        Assert.All(prices, p =>
        {
            Assert.False(string.IsNullOrWhiteSpace(p.Model));
            Assert.False(string.IsNullOrWhiteSpace(p.Provider));
            Assert.True(p.InputPerMillion >= 0, p.Model);
            Assert.True(p.OutputPerMillion >= 0, p.Model);
        });
        Assert.Equal(prices.Count, prices.Select(p => p.Model).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("gpt-4o-mini")]
    [InlineData("gpt-4.1")]
    [InlineData("gpt-4.1-mini")]
    [InlineData("gpt-4.1-nano")]
    [InlineData("o3-mini")]
    [InlineData("gpt-3.5-turbo")]
    [InlineData("claude-3-5-sonnet-20241022")]
    [InlineData("gemini-1.5-flash")]
    public void ShippedTablePricesTheCommonModels(string model)
    {
        Assert.NotNull(Shipped().Find(model));
    }

    [Fact]
    public void CostIsPromptTokensTimesInputPricePlusCompletionTokensTimesOutputPrice()
    {
        // gpt-4o: $2.50 in, $10.00 out per 1M tokens.
        var cost = Shipped().Cost("gpt-4o", 1_000, 500);

        Assert.Equal(0.0075m, cost);
    }

    [Fact]
    public void CostKeepsSubCentPrecision()
    {
        // gpt-4o-mini: $0.15 in, $0.60 out per 1M tokens.
        var cost = Shipped().Cost("gpt-4o-mini", 1_234, 567);

        Assert.Equal(0.0005253m, cost);
    }

    [Fact]
    public void CostIsUnknownForAModelWithoutAPrice()
    {
        var table = Shipped();

        Assert.Null(table.Find("no-such-model"));
        Assert.Null(table.Cost("no-such-model", 1_000, 500));
        Assert.Null(table.Cost(null, 1_000, 500));
    }

    [Fact]
    public void CostIsUnknownWhenUsageIsUnknown()
    {
        var table = Shipped();

        Assert.Null(table.Cost("gpt-4o", null, 500));
        Assert.Null(table.Cost("gpt-4o", 1_000, null));
    }

    [Fact]
    public void ModelLookupIgnoresCase()
    {
        Assert.Equal("gpt-4o-mini", Shipped().Find("GPT-4o-Mini")?.Model);
    }

    [Fact]
    public void ConfiguredPriceReplacesTheShippedPriceAndKeepsItsProvider()
    {
        var table = Shipped(new(StringComparer.OrdinalIgnoreCase)
        {
            ["gpt-4o"] = new ModelPriceOverride { InputPerMillion = 1m, OutputPerMillion = 2m },
        });

        Assert.Equal(new ModelPrice("gpt-4o", "openai", 1m, 2m), table.Find("gpt-4o"));
        Assert.Equal(0.002m, table.Cost("gpt-4o", 1_000, 500));
    }

    [Fact]
    public void ConfiguredPriceAddsAModelTheShippedTableLacks()
    {
        var table = Shipped(new(StringComparer.OrdinalIgnoreCase)
        {
            ["my-finetune"] = new ModelPriceOverride { InputPerMillion = 0.3m, OutputPerMillion = 1.2m },
            ["local-llama"] = new ModelPriceOverride { Provider = "vllm", InputPerMillion = 0m, OutputPerMillion = 0m },
        });

        Assert.Equal(new ModelPrice("my-finetune", "custom", 0.3m, 1.2m), table.Find("my-finetune"));
        Assert.Equal(0.0009m, table.Cost("my-finetune", 1_000, 500));
        Assert.Equal(0m, table.Cost("local-llama", 1_000, 500));
        Assert.Equal("vllm", table.Find("local-llama")?.Provider);
        Assert.Equal(ModelPriceTable.LoadShipped().Count + 2, table.All.Count);
    }

    [Fact]
    public void InternalConstructorAppliesOverridesOverTheGivenPrices()
    {
        var table = new ModelPriceTable(
            [new ModelPrice("a", "p", 1m, 1m)],
            new Dictionary<string, ModelPriceOverride> { ["a"] = new() { InputPerMillion = 4m, OutputPerMillion = 8m } });

        Assert.Equal(new ModelPrice("a", "p", 4m, 8m), Assert.Single(table.All));
    }

    private static readonly DateTimeOffset March = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static ModelPriceTable Dated(Dictionary<string, ModelPriceOverride>? overrides = null, DateTimeOffset? now = null) => new(
        [
            new DatedPrice("m", "p", 1m, 2m, March, PriceSource.Shipped),
            new DatedPrice("m", "p", 0.5m, 1m, June, PriceSource.Shipped),
        ],
        overrides ?? new(StringComparer.OrdinalIgnoreCase),
        new FakeTimeProvider(now ?? June.AddDays(10)));

    [Fact]
    public void ACallIsPricedAtThePriceInForceAtItsTime()
    {
        var table = Dated();

        Assert.Equal(0.002m, table.Cost("m", 1_000, 500, June.AddTicks(-1)));
        Assert.Equal(0.001m, table.Cost("m", 1_000, 500, June));
        // Before the first known date: the first known price.
        Assert.Equal(0.002m, table.Cost("m", 1_000, 500, March.AddYears(-1)));
        Assert.Equal(new ModelPrice("m", "p", 0.5m, 1m), table.Find("m"));
        Assert.Equal([March, June], table.History("M").Select(p => p.EffectiveFrom!.Value));
    }

    [Fact]
    public void ADatedOverrideTakesEffectOnItsDateAndKeepsEarlierPrices()
    {
        var september = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);
        var table = Dated(new(StringComparer.OrdinalIgnoreCase)
        {
            ["m"] = new ModelPriceOverride
            {
                InputPerMillion = 3m, OutputPerMillion = 4m, EffectiveFrom = september,
                History = [new DatedPriceOverride { EffectiveFrom = June, InputPerMillion = 0.7m, OutputPerMillion = 0.8m }],
            },
        });

        var history = table.History("m");
        Assert.Equal(
            [(March, PriceSource.Shipped, 1m), (June, PriceSource.Override, 0.7m), (september, PriceSource.Override, 3m)],
            history.Select(p => (p.EffectiveFrom!.Value, p.Source, p.InputPerMillion)));
        Assert.Equal(1m, table.PriceAt("m", June.AddDays(-1))!.InputPerMillion);
        Assert.Equal(0.7m, table.PriceAt("m", June.AddDays(1))!.InputPerMillion);
        Assert.Equal(3m, table.PriceAt("m", september)!.InputPerMillion);
    }

    [Fact]
    public void AnUndatedOverrideReplacesTheWholeShippedHistory()
    {
        var table = Dated(new(StringComparer.OrdinalIgnoreCase) { ["m"] = new ModelPriceOverride { InputPerMillion = 9m, OutputPerMillion = 9m } });

        var only = Assert.Single(table.History("m"));
        Assert.Equal((9m, PriceSource.Override, (DateTimeOffset?)null), (only.InputPerMillion, only.Source, only.EffectiveFrom));
        Assert.Equal(9m, table.PriceAt("m", March)!.InputPerMillion);
    }

    [Theory]
    [InlineData(-1, null)]
    [InlineData(1, "missing-date")]
    public void AnInvalidOverrideIsRefusedNamingTheModel(int input, string? history)
    {
        var price = new ModelPriceOverride { InputPerMillion = input, OutputPerMillion = 1m };
        if (history is not null)
        {
            price.History.Add(new DatedPriceOverride { InputPerMillion = 1m, OutputPerMillion = 1m });
        }

        var error = Assert.Throws<InvalidOperationException>(() => Dated(new(StringComparer.OrdinalIgnoreCase) { ["m"] = price }));
        Assert.Contains("TraceReplay:Llm:Prices:m", error.Message);
    }

    [Fact]
    public void AReloadedOverrideChangesTheTableButNotASnapshotTakenBefore()
    {
        var monitor = new MutableOptions(new LlmOptions());
        var table = new ModelPriceTable(monitor, TimeProvider.System);
        var before = table.Snapshot(["gpt-4o", "no-such-model"], DateTimeOffset.UtcNow);

        var changed = new LlmOptions();
        changed.Prices["gpt-4o"] = new ModelPriceOverride { InputPerMillion = 100m, OutputPerMillion = 200m };
        monitor.Set(changed);

        Assert.Equal(100m, table.Find("gpt-4o")!.InputPerMillion);
        var price = Assert.Single(before.Prices);
        Assert.Equal((2.5m, PriceSource.Shipped), (price.InputPerMillion, price.Source));
        Assert.Equal(0.0075m, before.Find("GPT-4O")!.Cost(1_000, 500));
    }


    private sealed class MutableOptions(LlmOptions value) : IOptionsMonitor<LlmOptions>
    {
        private readonly List<Action<LlmOptions, string?>> _listeners = [];

        public LlmOptions CurrentValue { get; private set; } = value;

        public LlmOptions Get(string? name) => CurrentValue;

        public IDisposable OnChange(Action<LlmOptions, string?> listener)
        {
            _listeners.Add(listener);
            return new Listener();
        }

        public void Set(LlmOptions value)
        {
            CurrentValue = value;
            _listeners.ForEach(l => l(value, Options.DefaultName));
        }

        private sealed class Listener : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
