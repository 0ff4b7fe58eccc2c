using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TraceReplay.Grains.Llm.Simulation;

namespace TraceReplay.Grains.Llm;

/// <summary>Registers the LLM gateway, its provider registry, the price table and the simulator; or the price table alone.</summary>
public static class LlmServiceCollectionExtensions
{
    /// <summary>Adds <see cref="LlmGateway"/> and its dependencies, with <see cref="LlmOptions"/> bound to its section.</summary>
    public static IServiceCollection AddLlmGateway(this IServiceCollection services)
    {
        services.AddModelPriceTable();
        services.TryAddSingleton<LlmProviderRegistry>();
        services.TryAddSingleton<SimulatedLlm>();
        services.TryAddSingleton<LlmGateway>();
        return services;
    }

    /// <summary>
    /// Adds only the <see cref="ModelPriceTable"/> (with <see cref="LlmOptions"/>, whose price overrides it reads): what a
    /// process that makes no LLM calls, such as the API in the Client role, may need; no gateway, providers or simulator.
    /// </summary>
    public static IServiceCollection AddModelPriceTable(this IServiceCollection services)
    {
        services.AddOptions<LlmOptions>().BindConfiguration(LlmOptions.Section)
            .Validate(o => o.DefaultMaxTokens >= 1, "TraceReplay:Llm:DefaultMaxTokens must be at least 1.")
            .Validate(
                o => o.Providers.Values.All(p => p.Kind is null || LlmProviderKinds.IsKnown(p.Kind.Trim().ToLowerInvariant())),
                "TraceReplay:Llm:Providers:<name>:Kind must be openai, azure-openai or anthropic.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ModelPriceTable(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<LlmOptions>>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
