using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Model prices: the table shipped in model-prices.json, with <see cref="LlmOptions.Prices"/> over it.
/// Cost = prompt tokens × input price + completion tokens × output price; a model without a price has an unknown
/// (null) cost, never $0.
/// </summary>
public sealed class ModelPriceTable
{
    private const string ResourceName = "TraceReplay.model-prices.json";
    private readonly Dictionary<string, ModelPrice> _prices;

    public ModelPriceTable(IOptions<LlmOptions> options)
        : this(LoadShipped(), options.Value.Prices)
    {
    }

    internal ModelPriceTable(IEnumerable<ModelPrice> shipped, IReadOnlyDictionary<string, ModelPriceOverride> overrides)
    {
        _prices = shipped.ToDictionary(p => p.Model, StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in overrides)
        {
            var provider = price.Provider ?? (_prices.TryGetValue(model, out var known) ? known.Provider : "custom");
            _prices[model] = new ModelPrice(model, provider, price.InputPerMillion, price.OutputPerMillion);
        }
    }

    /// <summary>Every priced model, by name.</summary>
    public IReadOnlyList<ModelPrice> All => [.. _prices.Values.OrderBy(p => p.Provider).ThenBy(p => p.Model)];

    public ModelPrice? Find(string? model) => model is not null && _prices.TryGetValue(model, out var p) ? p : null;

    /// <summary>The cost in USD of a call, or null when the model has no price or the usage is unknown.</summary>
    public decimal? Cost(string? model, int? promptTokens, int? completionTokens)
    {
        if (Find(model) is not { } price || promptTokens is null || completionTokens is null)
        {
            return null;
        }

        return (promptTokens.Value * price.InputPerMillion + completionTokens.Value * price.OutputPerMillion) / 1_000_000m;
    }

    internal static IReadOnlyList<ModelPrice> LoadShipped()
    {
        using var stream = typeof(ModelPriceTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded price table {ResourceName} is missing.");
        using var document = JsonDocument.Parse(stream);
        return [.. document.RootElement.GetProperty("models").EnumerateArray().Select(m => new ModelPrice(
            m.GetProperty("model").GetString()!,
            m.GetProperty("provider").GetString()!,
            m.GetProperty("inputPerMillion").GetDecimal(),
            m.GetProperty("outputPerMillion").GetDecimal()))];
    }
}
