using Microsoft.Extensions.Options;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Tests.Llm;

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
}
