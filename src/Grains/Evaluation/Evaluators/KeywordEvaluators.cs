using System.Globalization;
using System.Text.RegularExpressions;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>
/// SENTIMENT: counts positive and negative keywords (a negation word just before one flips it). Over 60 % of one kind
/// is that sentiment, no keywords or a mix is neutral. The score is the confidence in config.target; passes at
/// config.threshold (default 0.6). config.positive_words / negative_words extend the built-in lists.
/// </summary>
public sealed partial class SentimentEvaluator : Evaluator<SentimentEvaluator.Settings>
{
    private static readonly string[] _positive =
    [
        "good", "great", "excellent", "amazing", "awesome", "wonderful", "fantastic", "happy", "glad", "pleased", "love",
        "like", "helpful", "thanks", "thank", "perfect", "best", "nice", "success", "successfully", "resolved", "enjoy",
        "delighted", "appreciate", "welcome", "brilliant", "positive", "easy", "fast", "quick",
    ];

    private static readonly string[] _negative =
    [
        "bad", "terrible", "awful", "horrible", "poor", "sad", "angry", "hate", "dislike", "frustrating", "frustrated",
        "annoying", "broken", "fail", "failed", "failure", "error", "wrong", "worst", "sorry", "unfortunately", "problem",
        "issue", "disappointed", "disappointing", "useless", "slow", "damaged", "cancelled", "refuse",
    ];

    private static readonly HashSet<string> _negations = new(StringComparer.Ordinal) { "not", "no", "never", "isn't", "wasn't", "don't", "doesn't", "didn't", "can't", "cannot", "won't" };

    public sealed record Settings(string Target, double Threshold, HashSet<string> Positive, HashSet<string> Negative);

    public override string Type => "SENTIMENT";

    protected override Settings Parse(ConfigReader config)
    {
        var target = config.Choice("target", "", "positive", "negative", "neutral");
        var positive = new HashSet<string>(_positive.Concat(config.StringList("positive_words") ?? []).Select(w => w.ToLowerInvariant()), StringComparer.Ordinal);
        var negative = new HashSet<string>(_negative.Concat(config.StringList("negative_words") ?? []).Select(w => w.ToLowerInvariant()), StringComparer.Ordinal);
        return new Settings(target, config.Number("threshold", 0, 1) ?? 0.6, positive, negative);
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var words = WordPattern().Matches(input.Output.ToLowerInvariant()).Select(m => m.Value).ToList();
        int positive = 0, negative = 0;
        for (var i = 0; i < words.Count; i++)
        {
            var sign = s.Positive.Contains(words[i]) ? 1 : s.Negative.Contains(words[i]) ? -1 : 0;
            if (sign == 0)
            {
                continue;
            }

            var negated = (i > 0 && _negations.Contains(words[i - 1])) || (i > 1 && _negations.Contains(words[i - 2]));
            if ((sign > 0) != negated)
            {
                positive++;
            }
            else
            {
                negative++;
            }
        }

        var total = positive + negative;
        var share = total == 0 ? 0.5 : (double)positive / total;
        var detected = total == 0 ? "neutral" : share > 0.6 ? "positive" : 1 - share > 0.6 ? "negative" : "neutral";
        var score = s.Target switch
        {
            "positive" => total == 0 ? 0 : share,
            "negative" => total == 0 ? 0 : 1 - share,
            _ => 1 - Math.Abs(2 * share - 1),
        };
        return Task.FromResult(EvaluationOutcome.Scored(score, score >= s.Threshold, string.Create(CultureInfo.InvariantCulture,
            $"{positive} positive and {negative} negative keywords: {detected}; confidence in {s.Target} {score:0.##} (threshold {s.Threshold}).")));
    }

    [GeneratedRegex(@"[\p{L}']+")]
    private static partial Regex WordPattern();
}

/// <summary>
/// TOXICITY: fails when the output contains a blocked word or phrase (whole words, any case). config.blocklist adds
/// terms; config.use_default_list (default true) keeps the built-in list of insults and threats.
/// </summary>
public sealed class ToxicityEvaluator : Evaluator<ToxicityEvaluator.Settings>
{
    private static readonly string[] _defaultList =
    [
        "idiot", "idiots", "stupid", "moron", "dumb", "imbecile", "loser", "pathetic", "worthless", "shut up",
        "hate you", "kill you", "kill yourself", "go to hell", "screw you", "piece of garbage", "disgusting", "freak",
    ];

    /// <summary>The blocked terms, each with its whole-word pattern compiled once per evaluator version.</summary>
    public sealed record Settings(IReadOnlyList<(string Term, Regex Pattern)> Terms);

    public override string Type => "TOXICITY";

    protected override Settings Parse(ConfigReader config)
    {
        var extra = config.StringList("blocklist") ?? [];
        var terms = (config.Bool("use_default_list", true) ? _defaultList.Concat(extra) : extra).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return terms.Count == 0
            ? throw new ConfigException("config.blocklist must not be empty when config.use_default_list is false.")
            : new Settings([.. terms.Select(t => (t, new Regex($@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(t)}(?![\p{{L}}\p{{N}}])",
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, RegexEvaluator.MatchTimeout)))]);
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var found = s.Terms.Where(t => t.Pattern.IsMatch(input.Output)).Select(t => t.Term).ToList();
        return Task.FromResult(EvaluationOutcome.Binary(found.Count == 0, found.Count == 0
            ? $"None of the {s.Terms.Count} blocked terms appears."
            : $"Blocked terms found: {ContainsEvaluator.Quote(found)}."));
    }
}
