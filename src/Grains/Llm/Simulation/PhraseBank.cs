using System.Globalization;
using System.Text.RegularExpressions;

namespace TraceReplay.Grains.Llm.Simulation;

/// <summary>
/// The simulator's prose: sentences picked from a small phrase bank by the seeded sequence, echoing key words of the
/// last user message.
/// </summary>
internal static partial class PhraseBank
{
    private const int MaxKeywords = 4;

    private static readonly string[] _openings =
    [
        "Here is a short answer about {0}.",
        "Let me address {0} directly.",
        "Good question about {0}.",
        "Looking at {0}, a few points stand out.",
        "In short, {0} comes down to a handful of considerations.",
        "Thanks for the details on {0}.",
        "Regarding {0}, here is what I would suggest.",
        "I have looked at {0} carefully.",
        "When it comes to {0}, context matters.",
        "Here is my take on {0}.",
    ];

    private static readonly string[] _toolOpenings =
    [
        "The tool returned what was needed for {0}.",
        "According to the tool output, {0} can now be answered.",
        "I have checked the tool result for {0}.",
        "With the data from the tool, {0} is clearer.",
    ];

    private static readonly string[] _keywordSentences =
    [
        "The part about {0} is worth a closer look.",
        "For {0}, the details depend on how it will be used.",
        "Treat {0} as the starting point and build from there.",
        "Get {0} right first, since the rest depends on it.",
        "Consider how {0} interacts with the rest of the system.",
        "A quick check of {0} can save time later.",
    ];

    private static readonly string[] _bodySentences =
    [
        "The most important step is to state the goal clearly before choosing an approach.",
        "Start with the simplest option that works and refine it once you can measure the result.",
        "It helps to separate the parts that change often from the parts that stay stable.",
        "Edge cases deserve attention early, because they are expensive to fix later.",
        "A small, concrete example usually makes the trade-offs easier to see.",
        "Keep an eye on cost and latency as the volume grows.",
        "Write down the assumptions you make so others can check them.",
        "If the results look surprising, verify the inputs before changing the method.",
        "There are several reasonable ways to do this, and the best one depends on your constraints.",
        "Breaking the problem into smaller steps makes each one easier to test.",
        "Consistency matters more than any single clever trick here.",
        "Reviewing the outcome with fresh eyes often reveals a simpler path.",
        "Plan for failure and decide what should happen when a step does not succeed.",
        "Measure before and after each change so you know what actually helped.",
        "Clear names and short functions make the result easier to maintain.",
        "Feedback from real usage is the best guide for what to improve next.",
    ];

    private static readonly string[] _closings =
    [
        "Let me know if you would like more detail.",
        "I hope this helps.",
        "Happy to expand on any of these points.",
        "Tell me more about your constraints and I can be more specific.",
        "That should give you a solid starting point.",
        "Feel free to ask a follow-up question.",
    ];

    private static readonly HashSet<string> _stopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "about", "above", "after", "again", "also", "and", "any", "are", "because", "been", "before", "being",
        "below", "between", "both", "but", "can", "could", "does", "doing", "down", "during", "each", "explain",
        "from", "further", "give", "have", "having", "help", "here", "into", "just", "know", "like", "make", "more",
        "most", "much", "need", "only", "other", "over", "please", "same", "should", "show", "some", "such",
        "tell", "than", "that", "their", "them", "then", "there", "these", "they", "this", "those", "through",
        "under", "until", "very", "want", "were", "what", "when", "where", "which", "while", "will", "with",
        "would", "write", "your", "yours", "answer", "compare", "create", "describe", "find", "generate", "list",
        "provide", "question", "summarise", "summarize", "thank", "thanks", "think", "using",
    };

    /// <summary>An opening naming the topic, sentences on up to two key words, one to three body sentences, a closing.</summary>
    public static List<string> Sentences(SimulatedPrompt prompt, ref SplitMix64 random)
    {
        var keywords = Keywords(prompt);
        var topic = keywords.Count switch
        {
            0 => "your request",
            1 => keywords[0],
            _ => $"{string.Join(", ", keywords.Take(keywords.Count - 1))} and {keywords[^1]}",
        };

        var answersTool = prompt.Messages.Count > 0 && prompt.Messages[^1].Role == "tool";
        var sentences = new List<string>
        {
            string.Format(CultureInfo.InvariantCulture, random.Pick(answersTool ? _toolOpenings : _openings), topic),
        };

        foreach (var keyword in keywords.Take(2))
        {
            sentences.Add(string.Format(CultureInfo.InvariantCulture, random.Pick(_keywordSentences), keyword));
        }

        var bodyCount = 1 + random.Next(3);
        var body = new HashSet<string>();
        while (body.Count < bodyCount)
        {
            body.Add(random.Pick(_bodySentences));
        }

        sentences.AddRange(body);
        sentences.Add(random.Pick(_closings));
        return sentences;
    }

    /// <summary>Up to four distinct words of four letters or more from the last user message, stop words left out.</summary>
    public static List<string> Keywords(SimulatedPrompt prompt)
    {
        var lastUser = prompt.Messages.LastOrDefault(m => m.Role == "user");
        if (lastUser is null)
        {
            return [];
        }

        var keywords = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in WordPattern().Matches(lastUser.Text))
        {
            var word = match.Value;
            if (word.Length >= 4 && !_stopWords.Contains(word) && seen.Add(word))
            {
                keywords.Add(word);
                if (keywords.Count == MaxKeywords)
                {
                    break;
                }
            }
        }

        return keywords;
    }

    [GeneratedRegex(@"\p{L}[\p{L}\p{N}_-]*[\p{L}\p{N}]|\p{L}")]
    private static partial Regex WordPattern();
}
