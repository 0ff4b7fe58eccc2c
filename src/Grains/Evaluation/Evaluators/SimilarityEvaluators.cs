using System.Globalization;
using System.Text.RegularExpressions;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>LEVENSHTEIN: 1 − edit distance / longer length between the output and the expected output.</summary>
public sealed class LevenshteinEvaluator : Evaluator<LevenshteinEvaluator.Settings>
{
    public sealed record Settings(string? Expected, double Threshold, bool CaseSensitive);

    public override string Type => "LEVENSHTEIN";

    protected override Settings Parse(ConfigReader config) =>
        new(config.String("expected"), config.Number("threshold", 0, 1) ?? 0.8, config.Bool("case_sensitive", true));

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        if (Reference.Resolve(s.Expected, input) is not { } expected)
        {
            return Task.FromResult(Reference.Missing());
        }

        var (a, b) = s.CaseSensitive ? (input.Output, expected) : (input.Output.ToLowerInvariant(), expected.ToLowerInvariant());
        var longer = Math.Max(a.Length, b.Length);
        var distance = Distance(a, b);
        var score = longer == 0 ? 1 : 1 - (double)distance / longer;
        return Task.FromResult(EvaluationOutcome.Scored(score, score >= s.Threshold,
            string.Create(CultureInfo.InvariantCulture, $"Edit distance {distance} over {longer} characters: similarity {score:0.###} (threshold {s.Threshold}).")));
    }

    /// <summary>The classic two-row dynamic programme: insertions, deletions and substitutions cost one.</summary>
    internal static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}

/// <summary>SIMILARITY: TF-IDF cosine similarity of the output and the expected output, over words or character n-grams.</summary>
public sealed partial class SimilarityEvaluator : Evaluator<SimilarityEvaluator.Settings>
{
    public sealed record Settings(string? Expected, double Threshold, bool CharNgrams, int NgramSize);

    public override string Type => "SIMILARITY";

    protected override Settings Parse(ConfigReader config) => new(
        config.String("expected"),
        config.Number("threshold", 0, 1) ?? 0.7,
        config.Choice("tokenizer", "word", "word", "char_ngram") == "char_ngram",
        config.Integer("ngram_size", 1, 10) ?? 3);

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        if (Reference.Resolve(s.Expected, input) is not { } expected)
        {
            return Task.FromResult(Reference.Missing());
        }

        var score = Cosine(Tokens(input.Output, s), Tokens(expected, s));
        return Task.FromResult(EvaluationOutcome.Scored(score, score >= s.Threshold,
            string.Create(CultureInfo.InvariantCulture, $"TF-IDF cosine similarity {score:0.###} ({(s.CharNgrams ? $"{s.NgramSize}-character n-grams" : "words")}; threshold {s.Threshold}).")));
    }

    /// <summary>
    /// Cosine of the two TF-IDF vectors, with the two texts as the corpus and smoothed idf = ln((1 + n) / (1 + df)) + 1,
    /// so shared terms weigh less than distinctive ones but never zero.
    /// </summary>
    internal static double Cosine(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count == 0 && b.Count == 0)
        {
            return 1;
        }

        var tfA = a.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (double)g.Count(), StringComparer.Ordinal);
        var tfB = b.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (double)g.Count(), StringComparer.Ordinal);
        double Idf(string term) => Math.Log(3.0 / (1 + (tfA.ContainsKey(term) ? 1 : 0) + (tfB.ContainsKey(term) ? 1 : 0))) + 1;

        var dot = tfA.Where(t => tfB.ContainsKey(t.Key)).Sum(t => t.Value * Idf(t.Key) * tfB[t.Key] * Idf(t.Key));
        var normA = Math.Sqrt(tfA.Sum(t => Math.Pow(t.Value * Idf(t.Key), 2)));
        var normB = Math.Sqrt(tfB.Sum(t => Math.Pow(t.Value * Idf(t.Key), 2)));
        return normA == 0 || normB == 0 ? 0 : Math.Clamp(dot / (normA * normB), 0, 1);
    }

    private static List<string> Tokens(string text, Settings s)
    {
        var lower = text.ToLowerInvariant();
        if (!s.CharNgrams)
        {
            return [.. WordPattern().Matches(lower).Select(m => m.Value)];
        }

        var squeezed = string.Join(' ', lower.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (squeezed.Length <= s.NgramSize)
        {
            return squeezed.Length == 0 ? [] : [squeezed];
        }

        return [.. Enumerable.Range(0, squeezed.Length - s.NgramSize + 1).Select(i => squeezed.Substring(i, s.NgramSize))];
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    internal static partial Regex WordPattern();
}
