using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Llm.Simulation;

/// <summary>
/// The offline simulator: deterministic answers derived from the request, realistic token counts, configured latency.
/// Every result it gives is marked simulated.
/// </summary>
/// <remarks>
/// The answer is chosen from a small phrase bank (<see cref="PhraseBank"/>) by a hash of the model and the
/// conversation, so the same request to the same model always gives the same answer and another model gives another
/// one. It echoes key words of the last user message. Token counts use the o200k_base tokenizer (see
/// <see cref="TokenCounter"/> and <see cref="PromptTokens"/>).
/// </remarks>
public sealed class SimulatedLlm(IOptions<LlmOptions> options, TimeProvider timeProvider)
{
    private static readonly JsonSerializerOptions _jsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Answers one chat-completion request offline.</summary>
    public async Task<LlmCallResult> CompleteAsync(LlmCallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            return LlmCallResult.Failure(400, "The request names no model.");
        }

        if (!SimulatedRequestReader.TryRead(request.RequestBodyJson, out var prompt, out var error))
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
            : string.Join(" ", PhraseBank.Sentences(prompt, ref random));
        if (prompt.MaxTokens is { } maxTokens)
        {
            // Like a real provider, a token limit cuts the answer short, even when that leaves JSON unfinished.
            content = TokenCounter.Truncate(content, maxTokens);
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
        return new LlmCallResult(
            Succeeded: true,
            MessageJson: message.ToJsonString(_jsonOptions),
            PromptTokens: PromptTokens.Count(prompt),
            CompletionTokens: TokenCounter.Count(content),
            LatencyMs: latency.TotalMilliseconds,
            Simulated: true,
            ErrorStatus: null,
            ErrorMessage: null,
            ResponseModel: request.Model);
    }

    private static ulong Seed(string model, SimulatedPrompt prompt)
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

    private static string ComposeJson(SimulatedPrompt prompt, ref SplitMix64 random)
    {
        var sentences = PhraseBank.Sentences(prompt, ref random);
        var value = prompt.Schema is { } schema
            ? SchemaSampler.Sample(schema, sentences, ref random)
            : new JsonObject
            {
                ["answer"] = string.Join(" ", sentences),
                ["keywords"] = new JsonArray([.. PhraseBank.Keywords(prompt).Select(k => (JsonNode?)k)]),
                ["confidence"] = Math.Round(0.5 + random.NextDouble() * 0.49, 2),
            };

        return value?.ToJsonString(_jsonOptions) ?? "null";
    }
}
