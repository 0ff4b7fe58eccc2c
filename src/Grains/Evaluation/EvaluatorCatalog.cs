using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using TraceReplay.Grains.Evaluation.Evaluators;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Evaluation;

/// <summary>Every built-in evaluator type by name, and config validation per type.</summary>
public sealed class EvaluatorCatalog
{
    private static readonly Dictionary<string, string> _aliases = new(StringComparer.OrdinalIgnoreCase) { ["REGEX_MATCH"] = "REGEX" };

    /// <summary>How many evaluators' prepared settings are kept; past it the cache starts afresh.</summary>
    public const int MaxPrepared = 4096;

    private readonly Dictionary<string, IEvaluator> _evaluators;

    // Per evaluator id: the settings of its latest version seen, so a config is parsed (and its patterns compiled)
    // once per version rather than once per trace scored.
    private readonly ConcurrentDictionary<string, PreparedEvaluator> _prepared = new(StringComparer.Ordinal);

    /// <param name="webhooks">Where WEBHOOK evaluators may call; null is the safe default (public https only).</param>
    public EvaluatorCatalog(LlmCaller llm, IHttpClientFactory http, string judgeModel, WebhookOptions? webhooks = null)
    {
        IEnumerable<IEvaluator> all =
        [
            new ContainsEvaluator(), new RegexEvaluator(), new JsonSchemaEvaluator(), new ExactMatchEvaluator(),
            new AffixEvaluator(prefix: true), new AffixEvaluator(prefix: false), new LengthEvaluator(),
            new LevenshteinEvaluator(), new SimilarityEvaluator(), new ThresholdEvaluator(cost: false),
            new ThresholdEvaluator(cost: true), new ResponseTimeSlaEvaluator(), new SentimentEvaluator(),
            new ToxicityEvaluator(), new ToolCallValidationEvaluator(),
            .. JudgeSpecs.All.Select(spec => new LlmJudgeEvaluator(spec, llm, judgeModel)),
            new WebhookEvaluator(http, new WebhookUrlGuard(webhooks ?? new WebhookOptions())),
        ];
        _evaluators = all.ToDictionary(e => e.Type, StringComparer.Ordinal);
    }

    /// <summary>The silo's catalog: judges call through the silo's LLM pool.</summary>
    public EvaluatorCatalog(LlmPool pool, IHttpClientFactory http, IOptions<EvaluationOptions> options, IOptions<WebhookOptions> webhooks)
        : this((request, ct) => pool.CallAsync(request, ct), http, options.Value.JudgeModel, webhooks.Value)
    {
    }

    public IReadOnlyCollection<string> Types => _evaluators.Keys;

    /// <summary>The canonical type name (REGEX_MATCH → REGEX, any case), or null for an unknown type.</summary>
    public string? Canonical(string type)
    {
        var name = _aliases.GetValueOrDefault(type) ?? type.ToUpperInvariant();
        return _evaluators.ContainsKey(name) ? name : null;
    }

    public IEvaluator? Find(string type) => Canonical(type) is { } name ? _evaluators[name] : null;

    /// <summary>Null when valid; else the message naming the field.</summary>
    public string? Validate(string type, string configJson)
    {
        if (Find(type) is not { } evaluator)
        {
            return $"type must be one of {string.Join(", ", Types.Order(StringComparer.Ordinal))}; got '{type}'.";
        }

        using var document = JsonDocument.Parse(configJson);
        return document.RootElement.ValueKind != JsonValueKind.Object ? "config must be a JSON object." : evaluator.Validate(document.RootElement);
    }

    /// <summary>
    /// The evaluator's implementation with its config read into typed settings, made once per evaluator id and
    /// version and then shared by every trace it scores. A config that does not parse gives the error to record.
    /// </summary>
    public PreparedEvaluator Prepare(EvaluatorDefinition definition)
    {
        if (_prepared.TryGetValue(definition.Id, out var cached) && cached.IsFor(definition))
        {
            return cached;
        }

        var prepared = PreparedEvaluator.Create(definition, Find(definition.Type));
        if (_prepared.Count >= MaxPrepared)
        {
            _prepared.Clear();
        }

        _prepared[definition.Id] = prepared;
        return prepared;
    }
}

/// <summary>An evaluator version ready to score: its implementation, its config and the settings read from it.</summary>
public sealed class PreparedEvaluator
{
    private readonly int _version;
    private readonly string _type;
    private readonly string _configJson;

    private PreparedEvaluator(EvaluatorDefinition definition, IEvaluator? implementation, JsonElement config, object? settings, string? error)
    {
        (_version, _type, _configJson) = (definition.Version, definition.Type, definition.ConfigJson);
        (Implementation, Config, Settings, Error) = (implementation, config, settings, error);
    }

    /// <summary>Null for an unknown type.</summary>
    public IEvaluator? Implementation { get; }

    /// <summary>The config, parsed once and detached from any document.</summary>
    public JsonElement Config { get; }

    /// <summary>What <see cref="IEvaluator.Prepare"/> made of the config; null when <see cref="Error"/> is set.</summary>
    public object? Settings { get; }

    /// <summary>Why this evaluator cannot score (an unknown type, a config that does not parse); null when it can.</summary>
    public string? Error { get; }

    // The version names the config; the config itself is compared too, so a definition edited without a new version
    // (a test's hand-made one) is never scored with stale settings.
    internal bool IsFor(EvaluatorDefinition definition) =>
        definition.Version == _version && string.Equals(definition.Type, _type, StringComparison.Ordinal)
        && string.Equals(definition.ConfigJson, _configJson, StringComparison.Ordinal);

    internal static PreparedEvaluator Create(EvaluatorDefinition definition, IEvaluator? implementation)
    {
        if (implementation is null)
        {
            return new(definition, null, default, null, $"unknown evaluator type '{definition.Type}'.");
        }

        JsonElement config;
        try
        {
            using var document = JsonDocument.Parse(definition.ConfigJson);
            config = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return new(definition, implementation, default, null, "config is not valid JSON.");
        }

        try
        {
            return new(definition, implementation, config, implementation.Prepare(config), null);
        }
        catch (ConfigException ex)
        {
            return new(definition, implementation, config, null, ex.Message);
        }
    }
}
