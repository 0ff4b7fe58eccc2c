using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Decides who serves each model: the configured OpenAI-compatible providers, the default "openai" provider when
/// OPENAI_API_KEY or OPENAI_BASE_URL is set, and the offline simulator for priced models no real provider serves.
/// The routing table is fixed at construction; API keys are read only when a call needs one and are never exposed.
/// </summary>
public sealed class LlmProviderRegistry
{
    public const string OpenAiProviderName = "openai";
    public const string SimulatorProviderName = "simulator";
    public const string OpenAiApiKeyVariable = "OPENAI_API_KEY";
    public const string OpenAiBaseUrlVariable = "OPENAI_BASE_URL";

    internal static readonly Uri OpenAiDefaultBaseUrl = new("https://api.openai.com/v1");

    private readonly LlmOptions _options;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<string, LlmRoute> _routes = new(StringComparer.OrdinalIgnoreCase);

    public LlmProviderRegistry(IOptions<LlmOptions> options, ModelPriceTable prices)
        : this(options, prices, Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>For tests: reads environment variables through <paramref name="environment"/>.</summary>
    internal LlmProviderRegistry(IOptions<LlmOptions> options, ModelPriceTable prices, Func<string, string?> environment)
    {
        _options = options.Value;
        _environment = environment;

        var providers = ReadProviders(prices);
        foreach (var (name, baseUrl, models) in providers)
        {
            var route = new LlmRoute(name, Simulated: false, baseUrl);
            foreach (var model in models)
            {
                // The first provider in configuration order that lists a model serves it.
                _routes.TryAdd(model, route);
            }
        }

        SimulatorActive = _options.Simulator.Enabled ?? providers.Count == 0;
        if (SimulatorActive)
        {
            var simulator = new LlmRoute(SimulatorProviderName, Simulated: true, BaseUrl: null);
            foreach (var price in prices.All)
            {
                _routes.TryAdd(price.Model, simulator);
            }
        }

        ServedModels = [.. _routes.Keys.Order(StringComparer.OrdinalIgnoreCase)];
        Catalog = BuildCatalog(prices);
    }

    /// <summary>True when the offline simulator answers the priced models that no real provider serves.</summary>
    public bool SimulatorActive { get; }

    /// <summary>Every model someone serves, sorted by name.</summary>
    public IReadOnlyList<string> ServedModels { get; }

    /// <summary>Every priced model, and every served model without a price, with who serves it.</summary>
    public IReadOnlyList<ModelCatalogEntry> Catalog { get; }

    /// <summary>Who serves <paramref name="model"/>, or null when nobody does.</summary>
    public LlmRoute? Find(string model) => _routes.GetValueOrDefault(model);

    public bool IsServed(string model) => _routes.ContainsKey(model);

    /// <summary>
    /// The provider's API key at this moment: its <see cref="LlmProviderOptions.ApiKeyVariable"/>, then its
    /// <see cref="LlmProviderOptions.ApiKey"/>, then OPENAI_API_KEY for the "openai" provider. Null when none is set.
    /// </summary>
    internal string? ResolveApiKey(string providerName)
    {
        var provider = _options.Providers.GetValueOrDefault(providerName);
        if (provider?.ApiKeyVariable is { Length: > 0 } variable && _environment(variable) is { Length: > 0 } fromVariable)
        {
            return fromVariable;
        }

        if (provider?.ApiKey is { Length: > 0 } configured)
        {
            return configured;
        }

        if (string.Equals(providerName, OpenAiProviderName, StringComparison.OrdinalIgnoreCase)
            && _environment(OpenAiApiKeyVariable) is { Length: > 0 } fromOpenAiVariable)
        {
            return fromOpenAiVariable;
        }

        return null;
    }

    private List<(string Name, Uri BaseUrl, IReadOnlyList<string> Models)> ReadProviders(ModelPriceTable prices)
    {
        var openAiModels = prices.All
            .Where(p => string.Equals(p.Provider, OpenAiProviderName, StringComparison.OrdinalIgnoreCase))
            .Select(p => p.Model)
            .ToList();
        var openAiBaseUrl = _environment(OpenAiBaseUrlVariable);

        var providers = new List<(string, Uri, IReadOnlyList<string>)>();
        foreach (var (name, provider) in _options.Providers)
        {
            var isOpenAi = string.Equals(name, OpenAiProviderName, StringComparison.OrdinalIgnoreCase);
            var baseUrl = provider.BaseUrl ?? (isOpenAi ? openAiBaseUrl : null);
            var models = isOpenAi && provider.Models.Count == 0 ? openAiModels : provider.Models;
            providers.Add((name, ParseBaseUrl(name, baseUrl), models));
        }

        var openAiConfigured = _options.Providers.ContainsKey(OpenAiProviderName);
        if (!openAiConfigured && (!string.IsNullOrEmpty(_environment(OpenAiApiKeyVariable)) || !string.IsNullOrEmpty(openAiBaseUrl)))
        {
            providers.Add((OpenAiProviderName, ParseBaseUrl(OpenAiProviderName, openAiBaseUrl), openAiModels));
        }

        return providers;
    }

    private static Uri ParseBaseUrl(string providerName, string? baseUrl)
    {
        if (string.IsNullOrWhiteSpace(baseUrl))
        {
            return OpenAiDefaultBaseUrl;
        }

        if (!Uri.TryCreate(baseUrl.TrimEnd('/'), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"LLM provider '{providerName}' has an invalid BaseUrl '{baseUrl}'; expected an absolute http(s) URL such as http://localhost:8000/v1.");
        }

        return uri;
    }

    private List<ModelCatalogEntry> BuildCatalog(ModelPriceTable prices)
    {
        var entries = prices.All
            .Select(p => Entry(p.Model, p.Provider, p.InputPerMillion, p.OutputPerMillion))
            .ToList();
        foreach (var (model, route) in _routes)
        {
            if (prices.Find(model) is null)
            {
                entries.Add(Entry(model, route.ProviderName, null, null));
            }
        }

        return [.. entries
            .OrderBy(e => e.Provider, StringComparer.OrdinalIgnoreCase)
            .ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase)];

        ModelCatalogEntry Entry(string model, string provider, decimal? input, decimal? output)
        {
            var route = Find(model);
            return new ModelCatalogEntry(model, provider, input, output, route is not null, route?.ProviderName, route?.Simulated ?? false);
        }
    }
}
