using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// The offline simulator: deterministic answers derived from the request, realistic token counts, configured latency.
/// Every result it gives is marked simulated.
/// </summary>
/// <remarks>
/// The answer is chosen from a small phrase bank by a hash of the model and the conversation, so the same request to
/// the same model always gives the same answer and another model gives another one. It echoes key words of the last
/// user message. Token counts use the o200k_base tokenizer (see <see cref="TokenCounter"/>).
/// </remarks>
public sealed partial class SimulatedLlm(IOptions<LlmOptions> options, TimeProvider timeProvider)
{
    // OpenAI's published accounting for chat requests: a few framing tokens per message, one more for a name,
    // and a few that prime the reply. A low-detail image costs a flat 85 tokens.
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPrimingTokens = 3;
    private const int TokensPerImage = 85;
    private const int MaxKeywords = 4;
    private const int MaxSchemaDepth = 8;

    private static readonly JsonSerializerOptions _jsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

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

    /// <summary>Answers one chat-completion request offline.</summary>
    public async Task<LlmCallResult> CompleteAsync(LlmCallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            return LlmCallResult.Failure(400, "The request names no model.");
        }

        if (!TryParse(request.RequestBodyJson, out var prompt, out var error))
        {
            return LlmCallResult.Failure(400, error);
        }

        var latency = options.Value.Simulator.Latency;
        if (latency < TimeSpan.Zero)
        {
            latency = TimeSpan.Zero;
        }

        await Task.Delay(latency, timeProvider, cancellationToken);

        var random = new SplitMix64(Seed(request.Model, prompt));
        var content = prompt.Format is ResponseFormat.Json
            ? ComposeJson(prompt, ref random)
            : ComposeText(prompt, ref random);
        if (prompt.MaxTokens is { } maxTokens)
        {
            // Like a real provider, a token limit cuts the answer short, even when that leaves JSON unfinished.
            content = TokenCounter.Truncate(content, maxTokens);
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
        return new LlmCallResult(
            Succeeded: true,
            MessageJson: message.ToJsonString(_jsonOptions),
            PromptTokens: CountPromptTokens(prompt),
            CompletionTokens: TokenCounter.Count(content),
            LatencyMs: latency.TotalMilliseconds,
            Simulated: true,
            ErrorStatus: null,
            ErrorMessage: null,
            ResponseModel: request.Model);
    }

    private static bool TryParse(string? body, out Prompt prompt, out string error)
    {
        prompt = null!;
        if (string.IsNullOrWhiteSpace(body))
        {
            error = "The request body is empty; expected a chat-completions JSON object.";
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            error = $"The request body is not valid JSON: {ex.Message}";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind is not JsonValueKind.Object)
            {
                error = "The request body must be a JSON object.";
                return false;
            }

            if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind is not JsonValueKind.Array)
            {
                error = "The request body has no \"messages\" array.";
                return false;
            }

            var messages = new List<PromptMessage>();
            var index = 0;
            foreach (var element in messagesElement.EnumerateArray())
            {
                if (!TryParseMessage(element, index, out var message, out error))
                {
                    return false;
                }

                messages.Add(message);
                index++;
            }

            if (!TryReadMaxTokens(root, out var maxTokens, out error))
            {
                return false;
            }

            var toolsJson = root.TryGetProperty("tools", out var tools) && tools.ValueKind is JsonValueKind.Array
                ? JsonSerializer.Serialize(tools)
                : null;
            var (format, schema) = ReadResponseFormat(root);
            prompt = new Prompt(messages, toolsJson, format, schema, maxTokens);
            error = string.Empty;
            return true;
        }
    }

    private static bool TryParseMessage(JsonElement element, int index, out PromptMessage message, out string error)
    {
        message = null!;
        if (element.ValueKind is not JsonValueKind.Object)
        {
            error = $"messages[{index}] must be a JSON object.";
            return false;
        }

        if (!element.TryGetProperty("role", out var role) || role.ValueKind is not JsonValueKind.String)
        {
            error = $"messages[{index}] has no \"role\" string.";
            return false;
        }

        var text = new StringBuilder();
        var images = 0;
        if (element.TryGetProperty("content", out var content))
        {
            switch (content.ValueKind)
            {
                case JsonValueKind.String:
                    text.Append(content.GetString());
                    break;
                case JsonValueKind.Array:
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.ValueKind is JsonValueKind.String)
                        {
                            AppendLine(text, part.GetString());
                        }
                        else if (part.ValueKind is JsonValueKind.Object)
                        {
                            var type = part.TryGetProperty("type", out var t) && t.ValueKind is JsonValueKind.String ? t.GetString() : null;
                            if (part.TryGetProperty("text", out var partText) && partText.ValueKind is JsonValueKind.String)
                            {
                                AppendLine(text, partText.GetString());
                            }
                            else if (type is "image_url" or "input_image" or "image")
                            {
                                images++;
                            }
                        }
                        else
                        {
                            error = $"messages[{index}].content[] must hold content-part objects.";
                            return false;
                        }
                    }

                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    error = $"messages[{index}].content must be a string, an array of content parts or null.";
                    return false;
            }
        }

        var toolCalls = new StringBuilder();
        if (element.TryGetProperty("tool_calls", out var calls) && calls.ValueKind is JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind is JsonValueKind.Object
                    && call.TryGetProperty("function", out var function)
                    && function.ValueKind is JsonValueKind.Object)
                {
                    AppendLine(toolCalls, StringProperty(function, "name"));
                    AppendLine(toolCalls, StringProperty(function, "arguments"));
                }
            }
        }

        message = new PromptMessage(role.GetString()!, text.ToString(), toolCalls.ToString(), images, StringProperty(element, "name"));
        error = string.Empty;
        return true;
    }

    private static bool TryReadMaxTokens(JsonElement root, out int? maxTokens, out string error)
    {
        maxTokens = null;
        error = string.Empty;
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind is JsonValueKind.Null)
            {
                continue;
            }

            if (value.ValueKind is not JsonValueKind.Number || !value.TryGetInt32(out var limit) || limit < 1)
            {
                error = $"\"{name}\" must be a positive integer.";
                return false;
            }

            maxTokens = limit;
            return true;
        }

        return true;
    }

    private static (ResponseFormat Format, JsonElement? Schema) ReadResponseFormat(JsonElement root)
    {
        if (!root.TryGetProperty("response_format", out var format)
            || format.ValueKind is not JsonValueKind.Object
            || !format.TryGetProperty("type", out var type)
            || type.ValueKind is not JsonValueKind.String)
        {
            return (ResponseFormat.Text, null);
        }

        switch (type.GetString())
        {
            case "json_object":
                return (ResponseFormat.Json, null);
            case "json_schema":
                // Clone: the schema outlives the parsed document.
                return format.TryGetProperty("json_schema", out var jsonSchema)
                    && jsonSchema.ValueKind is JsonValueKind.Object
                    && jsonSchema.TryGetProperty("schema", out var schema)
                    && schema.ValueKind is JsonValueKind.Object
                    ? (ResponseFormat.Json, schema.Clone())
                    : (ResponseFormat.Json, null);
            default:
                return (ResponseFormat.Text, null);
        }
    }

    private static int CountPromptTokens(Prompt prompt)
    {
        var total = ReplyPrimingTokens + TokenCounter.Count(prompt.ToolsJson);
        foreach (var message in prompt.Messages)
        {
            total += TokensPerMessage
                + TokenCounter.Count(message.Role)
                + TokenCounter.Count(message.Text)
                + TokenCounter.Count(message.ToolCalls)
                + message.Images * TokensPerImage;
            if (message.Name is not null)
            {
                total += TokensPerName + TokenCounter.Count(message.Name);
            }
        }

        return total;
    }

    private static ulong Seed(string model, Prompt prompt)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? value)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(value ?? string.Empty));
            hash.AppendData([0]);
        }

        Add(model);
        Add(prompt.Format.ToString());
        Add(prompt.Schema?.GetRawText());
        foreach (var message in prompt.Messages)
        {
            Add(message.Role);
            Add(message.Name);
            Add(message.Text);
            Add(message.ToolCalls);
        }

        return BitConverter.ToUInt64(hash.GetHashAndReset(), 0);
    }

    private static string ComposeText(Prompt prompt, ref SplitMix64 random) =>
        string.Join(" ", ComposeSentences(prompt, ref random));

    private static List<string> ComposeSentences(Prompt prompt, ref SplitMix64 random)
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

    private static string ComposeJson(Prompt prompt, ref SplitMix64 random)
    {
        var sentences = ComposeSentences(prompt, ref random);
        JsonNode? value;
        if (prompt.Schema is { } schema)
        {
            var next = 0;
            value = FromSchema(schema, sentences, ref next, ref random, 0);
        }
        else
        {
            value = new JsonObject
            {
                ["answer"] = string.Join(" ", sentences),
                ["keywords"] = new JsonArray([.. Keywords(prompt).Select(k => (JsonNode?)k)]),
                ["confidence"] = Math.Round(0.5 + random.NextDouble() * 0.49, 2),
            };
        }

        return value?.ToJsonString(_jsonOptions) ?? "null";
    }

    private static JsonNode? FromSchema(JsonElement schema, List<string> sentences, ref int next, ref SplitMix64 random, int depth)
    {
        if (schema.ValueKind is not JsonValueKind.Object || depth > MaxSchemaDepth)
        {
            return NextSentence(sentences, ref next);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return JsonNode.Parse(constant.GetRawText());
        }

        if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind is JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            return JsonNode.Parse(choices[random.Next(choices.GetArrayLength())].GetRawText());
        }

        foreach (var combinator in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var alternatives)
                && alternatives.ValueKind is JsonValueKind.Array
                && alternatives.GetArrayLength() > 0)
            {
                return FromSchema(alternatives[0], sentences, ref next, ref random, depth + 1);
            }
        }

        switch (SchemaType(schema))
        {
            case "object":
                var result = new JsonObject();
                if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind is JsonValueKind.Object)
                {
                    foreach (var property in properties.EnumerateObject())
                    {
                        result[property.Name] = FromSchema(property.Value, sentences, ref next, ref random, depth + 1);
                    }
                }

                return result;
            case "array":
                var items = new JsonArray();
                var itemSchema = schema.TryGetProperty("items", out var i) ? i : default;
                var count = 1 + random.Next(2);
                for (var n = 0; n < count; n++)
                {
                    items.Add(FromSchema(itemSchema, sentences, ref next, ref random, depth + 1));
                }

                return items;
            case "integer":
                var low = schema.TryGetProperty("minimum", out var min) && min.TryGetInt32(out var mi) ? mi : 1;
                var high = schema.TryGetProperty("maximum", out var max) && max.TryGetInt32(out var ma) ? ma : Math.Max(low, 100);
                return high <= low ? low : low + random.Next(high - low + 1);
            case "number":
                return Math.Round(random.NextDouble(), 2);
            case "boolean":
                return random.Next(2) == 1;
            case "null":
                return null;
            default:
                return NextSentence(sentences, ref next);
        }
    }

    private static string? SchemaType(JsonElement schema)
    {
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind is JsonValueKind.String)
            {
                return type.GetString();
            }

            if (type.ValueKind is JsonValueKind.Array)
            {
                var named = type.EnumerateArray().Where(t => t.ValueKind is JsonValueKind.String).Select(t => t.GetString()).ToList();
                return named.FirstOrDefault(t => t != "null") ?? named.FirstOrDefault();
            }
        }

        return schema.TryGetProperty("properties", out _) ? "object" : "string";
    }

    private static string NextSentence(List<string> sentences, ref int next) => sentences[next++ % sentences.Count];

    private static List<string> Keywords(Prompt prompt)
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

    private static void AppendLine(StringBuilder builder, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append('\n');
        }

        builder.Append(value);
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex(@"\p{L}[\p{L}\p{N}_-]*[\p{L}\p{N}]|\p{L}")]
    private static partial Regex WordPattern();

    private enum ResponseFormat
    {
        Text = 0,
        Json = 1,
    }

    private sealed record PromptMessage(string Role, string Text, string ToolCalls, int Images, string? Name);

    private sealed record Prompt(
        IReadOnlyList<PromptMessage> Messages,
        string? ToolsJson,
        ResponseFormat Format,
        JsonElement? Schema,
        int? MaxTokens);

    /// <summary>A small, stable pseudo-random sequence (SplitMix64), so answers never depend on the runtime's Random.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong NextUInt64()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public int Next(int maxExclusive) => (int)(NextUInt64() % (ulong)maxExclusive);

        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        public T Pick<T>(T[] items) => items[Next(items.Length)];
    }
}
