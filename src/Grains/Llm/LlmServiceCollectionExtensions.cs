using Microsoft.Extensions.DependencyInjection;

namespace TraceReplay.Grains.Llm;

// STUB: replaced by the gateway branch.
public static class LlmServiceCollectionExtensions
{
    public static IServiceCollection AddLlmGateway(this IServiceCollection services) => services;
}
