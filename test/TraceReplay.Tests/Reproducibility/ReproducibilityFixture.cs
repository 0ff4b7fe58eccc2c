using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Reproducibility;

/// <summary>
/// A host of its own: its tests change price overrides at run time and count pins against a small limit, which
/// would disturb the tests sharing the main API host.
/// </summary>
public sealed class ReproducibilityFixture : ApiFixture
{
    public const int MaxPinnedTraces = 40;

    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["TraceReplay:Retention:MaxPinnedTraces"] = MaxPinnedTraces.ToString();

    /// <summary>Sets a dated price override of <paramref name="model"/> from now on and reloads configuration, as an operator's edit would.</summary>
    public async Task<DateTimeOffset> ChangePriceAsync(string model, decimal input, decimal output)
    {
        var from = DateTimeOffset.UtcNow;
        var configuration = (IConfigurationRoot)Services.GetRequiredService<IConfiguration>();
        configuration[$"TraceReplay:Llm:Prices:{model}:InputPerMillion"] = input.ToString(System.Globalization.CultureInfo.InvariantCulture);
        configuration[$"TraceReplay:Llm:Prices:{model}:OutputPerMillion"] = output.ToString(System.Globalization.CultureInfo.InvariantCulture);
        configuration[$"TraceReplay:Llm:Prices:{model}:EffectiveFrom"] = from.ToString("O");
        configuration.Reload();
        await Eventually.ReturnsAsync(
            () => GetDataAsync("/api/v1/models"),
            models => models.AsArray().Any(m => (string?)m!["name"] == model && (decimal?)m["inputPricePerMillion"] == input),
            TimeSpan.FromSeconds(10),
            $"the new price of {model} to be in force");
        return from;
    }
}

[CollectionDefinition(Name)]
public sealed class ReproducibilityCollection : ICollectionFixture<ReproducibilityFixture>
{
    public const string Name = "reproducibility";
}
