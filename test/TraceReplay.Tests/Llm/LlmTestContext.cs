using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Llm.Simulation;

namespace TraceReplay.Tests.Llm;

/// <summary>Builds the registry and gateway from options, a fixed price table and a controlled environment.</summary>
internal static class LlmTestContext
{
    public static ModelPriceTable Prices(params string[] openAiModels) => new(
        openAiModels.Select(m => new ModelPrice(m, "openai", 1m, 2m)),
        new Dictionary<string, ModelPriceOverride>());

    public static LlmProviderRegistry Registry(
        LlmOptions options, ModelPriceTable? prices = null, IReadOnlyDictionary<string, string>? environment = null) =>
        new(Options.Create(options), prices ?? Prices("gpt-4o", "gpt-4o-mini"), name => environment?.GetValueOrDefault(name));

    public static LlmGateway Gateway(LlmOptions options, LlmProviderRegistry registry)
    {
        // The simulator's constructor belongs to another change; let DI pick whichever one it has.
        using var services = new ServiceCollection()
            .AddSingleton(Options.Create(options))
            .AddSingleton(TimeProvider.System)
            .BuildServiceProvider();
        var simulator = ActivatorUtilities.CreateInstance<SimulatedLlm>(services);
        return new LlmGateway(registry, simulator, Options.Create(options), NullLogger<LlmGateway>.Instance);
    }

    /// <summary>Options with one provider at <paramref name="baseUrl"/> and retry delays small enough for tests.</summary>
    public static LlmOptions ProviderOptions(string baseUrl, string providerName = "local", string? apiKeyVariable = null, params string[] models)
    {
        var options = new LlmOptions
        {
            Retry = new LlmRetryOptions
            {
                MaxRetries = 2,
                BaseDelay = TimeSpan.FromMilliseconds(10),
                MaxDelay = TimeSpan.FromSeconds(3),
                MaxTotalDelay = TimeSpan.FromSeconds(10),
            },
            AttemptTimeout = TimeSpan.FromSeconds(10),
        };
        options.Providers[providerName] = new LlmProviderOptions
        {
            BaseUrl = baseUrl,
            ApiKeyVariable = apiKeyVariable,
            Models = models.Length == 0 ? ["local-model"] : [.. models],
        };
        return options;
    }
}
