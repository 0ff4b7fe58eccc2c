namespace TraceReplay.Grains.Llm;

/// <summary>LLM providers, the offline simulator, retries and prices (section <c>TraceReplay:Llm</c>).</summary>
public sealed class LlmOptions
{
    public const string Section = "TraceReplay:Llm";

    /// <summary>
    /// Named OpenAI-compatible providers. The default provider "openai" also comes from the OPENAI_API_KEY and
    /// OPENAI_BASE_URL environment variables, as in the official SDKs.
    /// </summary>
    public Dictionary<string, LlmProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The built-in offline simulator.</summary>
    public SimulatorOptions Simulator { get; set; } = new();

    /// <summary>How failed calls are retried.</summary>
    public LlmRetryOptions Retry { get; set; } = new();

    /// <summary>The cluster-wide adaptive rate per provider and model.</summary>
    public LlmLimiterOptions Limiter { get; set; } = new();

    /// <summary>Time allowed for one HTTP attempt. Default 60 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Price overrides by model name, over the shipped price table. Without an EffectiveFrom the price (with its History)
    /// replaces every shipped price of the model; with one, it takes effect on that date and earlier prices stay.
    /// </summary>
    public Dictionary<string, ModelPriceOverride> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One OpenAI-compatible endpoint and the models it serves.</summary>
public sealed class LlmProviderOptions
{
    /// <summary>Base URL including the version path, e.g. http://localhost:8000/v1. Default: OpenAI's.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The name of the environment variable that holds the key (preferred over <see cref="ApiKey"/>).</summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>The key itself, for configuration sources that keep secrets (user secrets, a vault). Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The models this provider serves. For the default "openai" provider, empty means the price table's OpenAI models.</summary>
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
