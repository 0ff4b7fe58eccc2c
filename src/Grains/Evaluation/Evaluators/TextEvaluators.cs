using System.Text.RegularExpressions;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>CONTAINS: the output contains any (or all) of config.value; negate passes when none is present.</summary>
public sealed class ContainsEvaluator : Evaluator<ContainsEvaluator.Settings>
{
    public sealed record Settings(IReadOnlyList<string> Values, bool All, bool CaseSensitive, bool Negate);

    public override string Type => "CONTAINS";

    protected override Settings Parse(ConfigReader config)
    {
        // 2Signal spells the list "value"; "values" is accepted too.
        var name = config.Has("values") ? "values" : "value";
        var values = config.StringList(name, required: true, allowSingle: true)!;
        return new Settings(values, config.Choice("mode", "any", "any", "all") == "all", config.Bool("case_sensitive", false), config.Bool("negate", false));
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var comparison = s.CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var found = s.Values.Where(v => input.Output.Contains(v, comparison)).ToList();
        var matched = s.All ? found.Count == s.Values.Count : found.Count > 0;
        var passed = matched != s.Negate;
        var reasoning = found.Count == 0
            ? $"The output contains none of: {Quote(s.Values)}."
            : $"The output contains {Quote(found)} ({found.Count} of {s.Values.Count}, mode {(s.All ? "all" : "any")}).";
        return Task.FromResult(EvaluationOutcome.Binary(passed, s.Negate ? reasoning + " Negated: passes only without a match." : reasoning));
    }

    internal static string Quote(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"'{v}'"));
}

/// <summary>REGEX (alias REGEX_MATCH): the output matches config.pattern; negate passes when it does not.</summary>
public sealed class RegexEvaluator : Evaluator<RegexEvaluator.Settings>
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public sealed record Settings(Regex Pattern, bool Negate);

    public override string Type => "REGEX";

    protected override Settings Parse(ConfigReader config)
    {
        var pattern = config.String("pattern", required: true, maxLength: 1000)!;
        var flags = config.String("flags") ?? "i";
        var options = RegexOptions.CultureInvariant;
        foreach (var flag in flags)
        {
            options |= flag switch
            {
                'i' => RegexOptions.IgnoreCase,
                'm' => RegexOptions.Multiline,
                's' => RegexOptions.Singleline,
                'x' => RegexOptions.IgnorePatternWhitespace,
                'g' or 'u' => RegexOptions.None,
                _ => throw new ConfigException($"config.flags may contain i, m, s, x (g and u are accepted and ignored); got '{flag}'."),
            };
        }

        try
        {
            // Linear-time matching: no pattern can make a match backtrack exponentially. Constructs that need
            // backtracking (backreferences, lookarounds, atomic groups) are refused when the evaluator is saved.
            return new Settings(new Regex(pattern, options | RegexOptions.NonBacktracking, MatchTimeout), config.Bool("negate", false));
        }
        catch (NotSupportedException ex)
        {
            throw new ConfigException($"config.pattern uses a construct that is not supported (backreferences, lookarounds and atomic groups are not): {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException($"config.pattern is not a valid regular expression: {ex.Message}");
        }
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        try
        {
            var match = s.Pattern.Match(input.Output);
            var passed = match.Success != s.Negate;
            var reasoning = match.Success
                ? $"The output matches /{s.Pattern}/ at position {match.Index}: '{Excerpt(match.Value)}'."
                : $"The output does not match /{s.Pattern}/.";
            return Task.FromResult(EvaluationOutcome.Binary(passed, s.Negate ? reasoning + " Negated: passes only without a match." : reasoning));
        }
        catch (RegexMatchTimeoutException)
        {
            return Task.FromResult(EvaluationOutcome.Failed($"the pattern took longer than {MatchTimeout.TotalSeconds:0} s to match; simplify config.pattern."));
        }
    }

    private static string Excerpt(string text) => text.Length <= 80 ? text : text[..80] + "…";
}

/// <summary>EXACT_MATCH: the output equals config.expected (else the expected output), trimmed unless trim is false.</summary>
public sealed class ExactMatchEvaluator : Evaluator<ExactMatchEvaluator.Settings>
{
    public sealed record Settings(string? Expected, bool CaseSensitive, bool Trim);

    public override string Type => "EXACT_MATCH";

    protected override Settings Parse(ConfigReader config) =>
        new(config.String("expected"), config.Bool("case_sensitive", true), config.Bool("trim", true));

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        if (Reference.Resolve(s.Expected, input) is not { } expected)
        {
            return Task.FromResult(Reference.Missing());
        }

        var (output, reference) = s.Trim ? (input.Output.Trim(), expected.Trim()) : (input.Output, expected);
        var equal = string.Equals(output, reference, s.CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
        return Task.FromResult(EvaluationOutcome.Binary(equal, equal
            ? "The output equals the expected output."
            : $"The output differs from the expected output ({output.Length} vs {reference.Length} characters)."));
    }
}

/// <summary>STARTS_WITH and ENDS_WITH: the output begins or ends with config.value.</summary>
public sealed class AffixEvaluator(bool prefix) : Evaluator<AffixEvaluator.Settings>
{
    public sealed record Settings(string Value, bool CaseSensitive, bool Trim);

    public override string Type => prefix ? "STARTS_WITH" : "ENDS_WITH";

    protected override Settings Parse(ConfigReader config) =>
        new(config.String("value", required: true)!, config.Bool("case_sensitive", true), config.Bool("trim", true));

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var output = s.Trim ? input.Output.Trim() : input.Output;
        var comparison = s.CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var passed = prefix ? output.StartsWith(s.Value, comparison) : output.EndsWith(s.Value, comparison);
        var where = prefix ? "starts" : "ends";
        return Task.FromResult(EvaluationOutcome.Binary(passed, passed ? $"The output {where} with '{s.Value}'." : $"The output does not {where[..^1]} with '{s.Value}'."));
    }
}

/// <summary>LENGTH: the output's length in characters (or words) is within config.min_length … config.max_length.</summary>
public sealed class LengthEvaluator : Evaluator<LengthEvaluator.Settings>
{
    public sealed record Settings(int? Min, int? Max, bool Words);

    public override string Type => "LENGTH";

    protected override Settings Parse(ConfigReader config)
    {
        var min = config.Integer("min_length", 0);
        var max = config.Integer("max_length", 0);
        if (min is null && max is null)
        {
            throw new ConfigException("config.min_length or config.max_length is required: a whole number of at least 0.");
        }

        if (min > max)
        {
            throw new ConfigException("config.min_length must not be greater than config.max_length.");
        }

        return new Settings(min, max, config.Choice("unit", "characters", "characters", "words") == "words");
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var length = s.Words
            ? input.Output.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length
            : input.Output.Length;
        var unit = s.Words ? "words" : "characters";
        var passed = (s.Min is null || length >= s.Min) && (s.Max is null || length <= s.Max);
        var bounds = (s.Min, s.Max) switch
        {
            ({ } lo, { } hi) => $"{lo}–{hi}",
            ({ } lo, null) => $"at least {lo}",
            (null, { } hi) => $"at most {hi}",
            _ => "any",
        };
        return Task.FromResult(EvaluationOutcome.Binary(passed, $"The output has {length} {unit}; allowed: {bounds}."));
    }
}

/// <summary>Where reference-based evaluators take the expected output from.</summary>
internal static class Reference
{
    /// <summary>The config's expected value wins; else the input's expected output (for a replay: the original's).</summary>
    public static string? Resolve(string? configured, EvaluationInput input) => configured ?? input.ExpectedOutput;

    public static EvaluationOutcome Missing() => EvaluationOutcome.Failed(
        "no expected output to compare with: set config.expected (traces that are not replays have no reference of their own).");
}
