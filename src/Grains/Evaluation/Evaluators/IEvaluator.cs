using System.Text.Json;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>
/// One evaluator type of the catalog. Plain and stateless: validation of its config and scoring of one input.
/// </summary>
public interface IEvaluator
{
    /// <summary>The type name clients use, e.g. CONTAINS.</summary>
    string Type { get; }

    /// <summary>Whether a higher score is the better outcome (true for every built-in type).</summary>
    bool HigherIsBetter => true;

    /// <summary>
    /// Whether scoring is computation (run on the thread pool, off the grain scheduler) rather than waiting on a
    /// network call. True unless the type overrides it.
    /// </summary>
    bool CpuBound => true;

    /// <summary>
    /// Reads the config into the settings scoring uses (compiled patterns, schemas, word sets). Called once per
    /// evaluator id and version (see <see cref="EvaluatorCatalog.Prepare"/>); throws a <see cref="ConfigException"/>
    /// naming the field.
    /// </summary>
    object Prepare(JsonElement config);

    /// <summary>Null when the config is valid, else a message naming the field (config.values …).</summary>
    string? Validate(JsonElement config)
    {
        try
        {
            Prepare(config);
            return null;
        }
        catch (ConfigException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Scores the input with the settings <see cref="Prepare"/> made of <c>input.Config</c>; an evaluator that cannot
    /// score answers an error, never a made-up score.
    /// </summary>
    Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, object settings, CancellationToken cancellationToken);
}

/// <summary>
/// What an evaluator sees. Input and Output are the root span's, as text; ExpectedOutput is the reference (for a
/// replay: the original trace's output unless the config names one); Trace is the whole trace for span-based types.
/// </summary>
public sealed record EvaluationInput(
    string TraceId,
    string? SpanId,
    string Input,
    string Output,
    string? ExpectedOutput,
    TraceData Trace,
    JsonElement Config);

/// <summary>A score in [0, 1] with its pass/fail verdict and reasoning, or why the evaluator could not score.</summary>
public sealed record EvaluationOutcome(double? Score, bool? Passed, string? Reasoning, string? Error)
{
    public string? Label => Passed switch { true => "pass", false => "fail", null => null };

    public static EvaluationOutcome Scored(double score, bool passed, string reasoning) =>
        new(Math.Clamp(score, 0, 1), passed, reasoning, null);

    public static EvaluationOutcome Binary(bool passed, string reasoning) => new(passed ? 1 : 0, passed, reasoning, null);

    public static EvaluationOutcome Failed(string error) => new(null, null, null, error);
}

/// <summary>Base for evaluators whose config parses into typed settings: validation and scoring share one parser.</summary>
public abstract class Evaluator<TSettings> : IEvaluator
    where TSettings : notnull
{
    public abstract string Type { get; }

    public object Prepare(JsonElement config) => Parse(new ConfigReader(config));

    public Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, object settings, CancellationToken cancellationToken) =>
        EvaluateAsync(input, (TSettings)settings, cancellationToken);

    protected abstract TSettings Parse(ConfigReader config);

    protected abstract Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, TSettings settings, CancellationToken cancellationToken);
}

/// <summary>A config field that is missing or malformed; the message names it.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>Typed reads of a config object; every failure throws a <see cref="ConfigException"/> naming the field.</summary>
public sealed class ConfigReader(JsonElement config)
{
    public JsonElement Root => config;

    public bool Has(string name) => TryGet(name, out _);

    public string? String(string name, bool required = false, int maxLength = 100_000)
    {
        if (!TryGet(name, out var value))
        {
            return required ? throw Missing(name, "a string") : null;
        }

        if (value.ValueKind != JsonValueKind.String || (required && string.IsNullOrWhiteSpace(value.GetString())))
        {
            throw new ConfigException($"config.{name} must be a non-empty string.");
        }

        var text = value.GetString()!;
        return text.Length > maxLength ? throw new ConfigException($"config.{name} must be at most {maxLength} characters.") : text;
    }

    public string Choice(string name, string fallback, params string[] allowed)
    {
        var value = String(name) ?? fallback;
        var match = allowed.FirstOrDefault(a => string.Equals(a, value, StringComparison.OrdinalIgnoreCase));
        return match ?? throw new ConfigException($"config.{name} must be one of {string.Join(", ", allowed)}; got '{value}'.");
    }

    public bool Bool(string name, bool fallback)
    {
        if (!TryGet(name, out var value))
        {
            return fallback;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ConfigException($"config.{name} must be true or false."),
        };
    }

    public double? Number(string name, double min = double.MinValue, double max = double.MaxValue, bool required = false)
    {
        if (!TryGet(name, out var value))
        {
            return required ? throw Missing(name, "a number") : null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || number < min || number > max)
        {
            throw new ConfigException($"config.{name} must be a number{Range(min, max)}.");
        }

        return number;
    }

    public int? Integer(string name, int min = int.MinValue, int max = int.MaxValue, bool required = false)
    {
        if (!TryGet(name, out var value))
        {
            return required ? throw Missing(name, "a whole number") : null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            throw new ConfigException($"config.{name} must be a whole number{Range(min, max)}.");
        }

        return number;
    }

    /// <summary>A list of non-empty strings; a single string counts as a list of one when allowed.</summary>
    public IReadOnlyList<string>? StringList(string name, bool required = false, bool allowSingle = false)
    {
        if (!TryGet(name, out var value))
        {
            return required ? throw Missing(name, "an array of strings") : null;
        }

        if (allowSingle && value.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(value.GetString()))
        {
            return [value.GetString()!];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ConfigException($"config.{name} must be an array of strings.");
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(item.GetString()))
            {
                throw new ConfigException($"config.{name}[{index}] must be a non-empty string.");
            }

            items.Add(item.GetString()!);
            index++;
        }

        return required && items.Count == 0 ? throw new ConfigException($"config.{name} must not be empty.") : items;
    }

    public JsonElement? Object(string name, bool required = false)
    {
        if (!TryGet(name, out var value))
        {
            return required ? throw Missing(name, "an object") : null;
        }

        return value.ValueKind == JsonValueKind.Object ? value : throw new ConfigException($"config.{name} must be an object.");
    }

    private bool TryGet(string name, out JsonElement value)
    {
        value = default;
        return config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    private static ConfigException Missing(string name, string what) => new($"config.{name} is required: {what}.");

    private static string Range(double min, double max) => (min, max) switch
    {
        (double.MinValue, double.MaxValue) => string.Empty,
        (_, double.MaxValue) => $" of at least {min}",
        (double.MinValue, _) => $" of at most {max}",
        _ => $" from {min} to {max}",
    };

    private static string Range(int min, int max) => Range(min == int.MinValue ? double.MinValue : min, max == int.MaxValue ? double.MaxValue : max);
}
