namespace TraceReplay.Grains.Llm;

/// <summary>Who serves a model: a named OpenAI-compatible provider, or the offline simulator.</summary>
/// <param name="ProviderName">The provider's configured name, or "simulator".</param>
/// <param name="Simulated">True when the offline simulator answers.</param>
/// <param name="BaseUrl">The provider's base URL including the version path; null for the simulator.</param>
public sealed record LlmRoute(string ProviderName, bool Simulated, Uri? BaseUrl);
