using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Decides who serves each model: the configured providers (OpenAI-compatible, Azure OpenAI, Anthropic), the default
/// "openai" provider when OPENAI_API_KEY or OPENAI_BASE_URL is set, the default "anthropic" provider (every Claude model
/// of the price table) when ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL is set, and the offline simulator for priced models
/// no real provider serves.
/// The routing table is fixed at construction; API keys are read only when a call needs one and are never exposed.
/// </summary>
public sealed class LlmProviderRegistry
{
    public const string OpenAiProviderName = "openai";
    public const string AnthropicProviderName = "anthropic";
    public const string SimulatorProviderName = "simulator";
    public const string OpenAiApiKeyVariable = "OPENAI_API_KEY";
    public const string OpenAiBaseUrlVariable = "OPENAI_BASE_URL";
    public const string AnthropicApiKeyVariable = "ANTHROPIC_API_KEY";
    public const string AnthropicBaseUrlVariable = "ANTHROPIC_BASE_URL";
    public const string DefaultAzureApiVersion = "2024-10-21";

    internal static readonly Uri OpenAiDefaultBaseUrl = new("https://api.openai.com/v1");
    internal static readonly Uri AnthropicDefaultBaseUrl = new("https://api.anthropic.com");

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
        foreach (var (name, kind, baseUrl, models, deployments) in providers)
        {
            foreach (var model in models)
            {
                // The first provider in configuration order that lists a model serves it.
                _routes.TryAdd(model, new LlmRoute(name, Simulated: false, baseUrl, kind, deployments?.GetValueOrDefault(model) ?? (deployments is null ? null : model)));
            }
        }

        SimulatorActive = _options.Simulator.Enabled ?? providers.Count == 0;
        if (SimulatorActive)
        {
            var simulator = new LlmRoute(SimulatorProviderName, Simulated: true, BaseUrl: null, LlmProviderKinds.Simulator);
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

        if (string.Equals(providerName, AnthropicProviderName, StringComparison.OrdinalIgnoreCase)
            && _environment(AnthropicApiKeyVariable) is { Length: > 0 } fromAnthropicVariable)
        {
            return fromAnthropicVariable;
        }

        return null;
    }

    /// <summary>The api-version an Azure OpenAI provider sends.</summary>
    internal string AzureApiVersion(string providerName) =>
        _options.Providers.GetValueOrDefault(providerName)?.ApiVersion is { Length: > 0 } version ? version : DefaultAzureApiVersion;

    /// <summary>The configured kind of a provider; a provider named "anthropic" is an Anthropic one unless told otherwise.</summary>
    internal static string KindOf(string name, LlmProviderOptions provider)
    {
        var kind = provider.Kind?.Trim().ToLowerInvariant()
            ?? (string.Equals(name, AnthropicProviderName, StringComparison.OrdinalIgnoreCase) ? LlmProviderKinds.Anthropic : LlmProviderKinds.OpenAi);
        return LlmProviderKinds.IsKnown(kind)
            ? kind
            : throw new InvalidOperationException($"LLM provider '{name}' has an unknown Kind '{provider.Kind}'; expected openai, azure-openai or anthropic.");
    }

    private List<(string Name, string Kind, Uri BaseUrl, IReadOnlyList<string> Models, IReadOnlyDictionary<string, string>? Deployments)> ReadProviders(ModelPriceTable prices)
    {
        List<string> PricedModels(string provider) => [.. prices.All
            .Where(p => string.Equals(p.Provider, provider, StringComparison.OrdinalIgnoreCase))
            .Select(p => p.Model)];
        var openAiBaseUrl = _environment(OpenAiBaseUrlVariable);
        var anthropicBaseUrl = _environment(AnthropicBaseUrlVariable);

        var providers = new List<(string, string, Uri, IReadOnlyList<string>, IReadOnlyDictionary<string, string>?)>();
        foreach (var (name, provider) in _options.Providers)
        {
            var kind = KindOf(name, provider);
            switch (kind)
            {
                case LlmProviderKinds.Anthropic:
                    var isDefaultAnthropic = string.Equals(name, AnthropicProviderName, StringComparison.OrdinalIgnoreCase);
                    providers.Add((name, kind,
                        ParseBaseUrl(name, provider.BaseUrl ?? (isDefaultAnthropic ? anthropicBaseUrl : null), AnthropicDefaultBaseUrl),
                        provider.Models.Count == 0 ? PricedModels(AnthropicProviderName) : provider.Models, null));
                    break;
                case LlmProviderKinds.AzureOpenAi:
                    if (string.IsNullOrWhiteSpace(provider.BaseUrl))
                    {
                        throw new InvalidOperationException($"LLM provider '{name}' (azure-openai) needs a BaseUrl: the resource endpoint, e.g. https://my-resource.openai.azure.com.");
                    }

                    var deployments = new Dictionary<string, string>(provider.Deployments, StringComparer.OrdinalIgnoreCase);
                    providers.Add((name, kind, ParseBaseUrl(name, provider.BaseUrl, OpenAiDefaultBaseUrl),
                        provider.Models.Count == 0 ? [.. deployments.Keys] : provider.Models, deployments));
                    break;
                default:
                    var isOpenAi = string.Equals(name, OpenAiProviderName, StringComparison.OrdinalIgnoreCase);
                    providers.Add((name, kind, ParseBaseUrl(name, provider.BaseUrl ?? (isOpenAi ? openAiBaseUrl : null), OpenAiDefaultBaseUrl),
                        isOpenAi && provider.Models.Count == 0 ? PricedModels(OpenAiProviderName) : provider.Models, null));
                    break;
            }
        }

        if (!_options.Providers.ContainsKey(OpenAiProviderName)
            && (!string.IsNullOrEmpty(_environment(OpenAiApiKeyVariable)) || !string.IsNullOrEmpty(openAiBaseUrl)))
        {
            providers.Add((OpenAiProviderName, LlmProviderKinds.OpenAi, ParseBaseUrl(OpenAiProviderName, openAiBaseUrl, OpenAiDefaultBaseUrl), PricedModels(OpenAiProviderName), null));
        }

        if (!_options.Providers.ContainsKey(AnthropicProviderName)
            && (!string.IsNullOrEmpty(_environment(AnthropicApiKeyVariable)) || !string.IsNullOrEmpty(anthropicBaseUrl)))
        {
            providers.Add((AnthropicProviderName, LlmProviderKinds.Anthropic, ParseBaseUrl(AnthropicProviderName, anthropicBaseUrl, AnthropicDefaultBaseUrl), PricedModels(AnthropicProviderName), null));
        }

        return providers;
    }

    private static Uri ParseBaseUrl(string providerName, string? baseUrl, Uri defaultUrl)
    {
        if (string.IsNullOrWhiteSpace(baseUrl))
        {
            return defaultUrl;
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
            return new ModelCatalogEntry(model, provider, input, output, route is not null, route?.ProviderName, route?.Simulated ?? false, route?.Kind);
        }
    }
}
