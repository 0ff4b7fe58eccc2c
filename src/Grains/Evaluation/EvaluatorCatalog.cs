using System.Text.Json;
using Microsoft.Extensions.Options;
using TraceReplay.Grains.Evaluation.Evaluators;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Evaluation;

/// <summary>Every built-in evaluator type by name, and config validation per type.</summary>
public sealed class EvaluatorCatalog
{
    private static readonly Dictionary<string, string> _aliases = new(StringComparer.OrdinalIgnoreCase) { ["REGEX_MATCH"] = "REGEX" };

    private readonly Dictionary<string, IEvaluator> _evaluators;

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
}
