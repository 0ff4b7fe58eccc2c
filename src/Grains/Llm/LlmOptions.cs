namespace TraceReplay.Grains.Llm;

/// <summary>LLM providers, the offline simulator, retries and prices (section <c>TraceReplay:Llm</c>).</summary>
public sealed class LlmOptions
{
    public const string Section = "TraceReplay:Llm";

    /// <summary>
    /// Named providers (<see cref="LlmProviderOptions.Kind"/>: openai, azure-openai, anthropic). The default provider
    /// "openai" also comes from OPENAI_API_KEY / OPENAI_BASE_URL, and "anthropic" from ANTHROPIC_API_KEY /
    /// ANTHROPIC_BASE_URL, as in the official SDKs.
    /// </summary>
    public Dictionary<string, LlmProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The built-in offline simulator.</summary>
    public SimulatorOptions Simulator { get; set; } = new();

    /// <summary>How failed calls are retried.</summary>
    public LlmRetryOptions Retry { get; set; } = new();

    /// <summary>The cluster-wide adaptive rate per provider and model.</summary>
    public LlmLimiterOptions Limiter { get; set; } = new();

    /// <summary>The max_tokens sent to Anthropic when the recorded call had none (Anthropic requires it). Default 1024.</summary>
    public int DefaultMaxTokens { get; set; } = 1024;

    /// <summary>
    /// Time allowed for one HTTP attempt. Default 50 s. An attempt that times out is retried at most once (other
    /// transient failures follow <see cref="Retry"/>).
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(50);

    /// <summary>
    /// Time allowed for a whole call: every attempt, retry and backoff together. Default 120 s; past it the call fails
    /// (its replay FAILED with the reason) and its pool slot is free for the next project in turn.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Price overrides by model name, over the shipped price table. Without an EffectiveFrom the price (with its History)
    /// replaces every shipped price of the model; with one, it takes effect on that date and earlier prices stay.
    /// </summary>
    public Dictionary<string, ModelPriceOverride> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One provider endpoint and the models it serves.</summary>
public sealed class LlmProviderOptions
{
    /// <summary>
    /// The protocol: "openai" (default; OpenAI and every OpenAI-compatible endpoint), "azure-openai" or "anthropic".
    /// A provider named "anthropic" defaults to "anthropic".
    /// </summary>
    public string? Kind { get; set; }

    /// <summary>
    /// openai: base URL including the version path, e.g. http://localhost:8000/v1 (default OpenAI's). anthropic: the
    /// API's root, e.g. https://api.anthropic.com (default). azure-openai: the resource endpoint,
    /// e.g. https://my-resource.openai.azure.com (required).
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>azure-openai: the api-version query parameter. Default 2024-10-21.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>azure-openai: the deployment that serves each model (model name → deployment name).</summary>
    public Dictionary<string, string> Deployments { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The name of the environment variable that holds the key (preferred over <see cref="ApiKey"/>).</summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>The key itself, for configuration sources that keep secrets (user secrets, a vault). Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The models this provider serves. Empty means: the price table's OpenAI models for "openai", its Anthropic models
    /// for an anthropic provider, the keys of <see cref="Deployments"/> for azure-openai.
    /// </summary>
    public List<string> Models { get; set; } = [];
}

/// <summary>The offline simulator answers every model no real provider serves.</summary>
public sealed class SimulatorOptions
{
    /// <summary>null (default): on only when no real provider is configured. true/false force it.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Simulated latency of one call. Default 400 ms.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(400);
}

/// <summary>Retries of 429, 5xx, connection errors and timeouts.</summary>
public sealed class LlmRetryOptions
{
    /// <summary>Retries after the first attempt. Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First backoff delay; doubles each retry, with jitter. Default 500 ms.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest single delay, Retry-After included. Default 20 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Upper bound on all backoff delays of one call together. Default 60 s.</summary>
    public TimeSpan MaxTotalDelay { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>A configured price, USD per one million tokens.</summary>
public sealed class ModelPriceOverride
{
    public string? Provider { get; set; }

    public decimal InputPerMillion { get; set; }

    public decimal OutputPerMillion { get; set; }

    /// <summary>When this price takes effect; null: in force since always, replacing the shipped prices.</summary>
    public DateTimeOffset? EffectiveFrom { get; set; }

    /// <summary>Earlier configured prices, each with its EffectiveFrom, so calls made before a change keep their price.</summary>
    public List<DatedPriceOverride> History { get; set; } = [];
}

/// <summary>One earlier configured price of a model and the date it took effect.</summary>
public sealed class DatedPriceOverride
{
    public DateTimeOffset? EffectiveFrom { get; set; }

    public decimal InputPerMillion { get; set; }

    public decimal OutputPerMillion { get; set; }
}

/// <summary>A model's price, USD per one million tokens.</summary>
public sealed record ModelPrice(string Model, string Provider, decimal InputPerMillion, decimal OutputPerMillion);
