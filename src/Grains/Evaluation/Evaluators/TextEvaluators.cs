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

        if (BacktrackingRisk.Find(pattern) is { } risk)
        {
            throw new ConfigException($"config.pattern has a nested quantifier ({risk}) that can take exponential time; rewrite it without quantifying a quantified group.");
        }

        try
        {
            return new Settings(new Regex(pattern, options, MatchTimeout), config.Bool("negate", false));
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

/// <summary>
/// Spots the classic catastrophic-backtracking shape: a group that contains a repeating quantifier and is itself
/// repeated, such as <c>(a+)+</c>, <c>(\w*\s?)*</c> or <c>(.*a){20}</c>. Matches also run under a timeout; this refuses
/// the worst patterns when the evaluator is saved, with a message that says why.
/// </summary>
internal static class BacktrackingRisk
{
    /// <summary>The offending group's text, or null when none was found.</summary>
    public static string? Find(string pattern)
    {
        var starts = new Stack<(int Start, bool Repeats)>();
        var repeatsInside = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '[':
                    // A character class: skip to its closing bracket.
                    i++;
                    if (i < pattern.Length && pattern[i] == '^')
                    {
                        i++;
                    }

                    if (i < pattern.Length && pattern[i] == ']')
                    {
                        i++;
                    }

                    while (i < pattern.Length && pattern[i] != ']')
                    {
                        i += pattern[i] == '\\' ? 2 : 1;
                    }

                    break;
                case '(':
                    starts.Push((i, repeatsInside));
                    repeatsInside = false;
                    break;
                case ')' when starts.Count > 0:
                    var (start, outer) = starts.Pop();
                    if (repeatsInside && RepeatsAt(pattern, i + 1) && !StartsWithSeparator(pattern, start + 1))
                    {
                        return pattern[start..(i + 1)] + pattern[i + 1];
                    }

                    repeatsInside |= outer;
                    break;
                case '*' or '+':
                    repeatsInside = true;
                    break;
                case '{' when RepeatsAt(pattern, i, variableOnly: true):
                    repeatsInside = true;
                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a group's content starting at <paramref name="at"/> begins with a single punctuation literal such as
    /// <c>\.</c>, <c>-</c> or <c>,</c> (as in <c>(\.[a-z]+)*</c>): each repetition must then begin with that separator, so
    /// the repetitions cannot be split in many ways. Match timeouts still cover what this lets through.
    /// </summary>
    private static bool StartsWithSeparator(string pattern, int at)
    {
        if (pattern.AsSpan(at).StartsWith("?:"))
        {
            at += 2;
        }

        if (at >= pattern.Length)
        {
            return false;
        }

        var (literal, next) = pattern[at] == '\\' && at + 1 < pattern.Length ? (pattern[at + 1], at + 2) : (pattern[at], at + 1);
        var plainSpecial = pattern[at] != '\\' && ".([{^$|?*+)".Contains(literal);
        return char.IsPunctuation(literal) || char.IsSymbol(literal)
            ? !plainSpecial && !RepeatsAt(pattern, next) && (next >= pattern.Length || pattern[next] != '?')
            : false;
    }

    /// <summary>
    /// Whether a quantifier starts at <paramref name="at"/> that repeats more than once (*, +, {n,}, {n,m} with m above 1,
    /// {n} with n above 1) or, with <paramref name="variableOnly"/>, one whose count varies (*, +, {n,}, {n,m} with m above n).
    /// </summary>
    private static bool RepeatsAt(string pattern, int at, bool variableOnly = false)
    {
        if (at >= pattern.Length)
        {
            return false;
        }

        if (pattern[at] is '*' or '+')
        {
            return true;
        }

        var close = pattern[at] == '{' ? pattern.IndexOf('}', at) : -1;
        if (close < 0)
        {
            return false;
        }

        var bounds = pattern[(at + 1)..close].Split(',');
        if (bounds.Length > 2 || !int.TryParse(bounds[0], out var min) || min < 0)
        {
            return false;
        }

        if (bounds.Length == 1)
        {
            return !variableOnly && min > 1;
        }

        return bounds[1].Length == 0 || (int.TryParse(bounds[1], out var max) && (variableOnly ? max > min : max > 1));
    }
}
