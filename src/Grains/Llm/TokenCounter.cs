using Microsoft.ML.Tokenizers;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Counts and truncates text in tokens of the o200k_base encoding (the GPT-4o and GPT-4.1 family). The tokenizer's
/// vocabulary ships inside the Microsoft.ML.Tokenizers.Data.O200kBase package; it is loaded once, on first use, and
/// is safe to share between threads.
/// </summary>
public static class TokenCounter
{
    /// <summary>The tiktoken encoding every count uses.</summary>
    public const string Encoding = "o200k_base";

    private static readonly Lazy<Tokenizer> _tokenizer =
        new(() => TiktokenTokenizer.CreateForEncoding(Encoding), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared tokenizer, for callers that need more than a count.</summary>
    public static Tokenizer Tokenizer => _tokenizer.Value;

    /// <summary>The number of tokens in <paramref name="text"/>; 0 for null or empty text.</summary>
    public static int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : Tokenizer.CountTokens(text);

    /// <summary>The longest prefix of <paramref name="text"/> that fits in <paramref name="maxTokens"/> tokens.</summary>
    public static string Truncate(string text, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (maxTokens == 0 || text.Length == 0)
        {
            return string.Empty;
        }

        var end = Tokenizer.GetIndexByTokenCount(text, maxTokens, out _, out _);
        return end >= text.Length ? text : text[..end];
    }
}
