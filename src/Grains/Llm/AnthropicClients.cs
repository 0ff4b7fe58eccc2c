using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Sends Messages requests to Anthropic providers with the official Anthropic SDK. The body goes over the wire as
/// written (<see cref="MessageCreateParams.FromRawUnchecked"/>) and the raw response is read, so content blocks the
/// SDK's models do not know survive. The SDK's own retries are off: <see cref="LlmRetryPolicy"/>'s rules apply
/// (retry-after honoured, 429 and 529 retried, bounded total delay), and each attempt is timed by the gateway's
/// <see cref="AttemptTimer"/>. One client is cached per provider and key.
/// </summary>
internal sealed class AnthropicClients
{
    private static readonly Dictionary<string, JsonElement> NoParameters = [];

    // The SDK's handler sees each attempt's HTTP response; this carries its status and retry headers back to the call.
    private static readonly AsyncLocal<AttemptResponse?> CurrentAttempt = new();

    private readonly LlmProviderRegistry _registry;
    private readonly LlmOptions _options;
    private readonly LlmRetryPolicy _retryPolicy;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<(string Provider, string Key), AnthropicClient> _clients = new();

    public AnthropicClients(LlmProviderRegistry registry, LlmOptions options, TimeProvider? timeProvider = null)
    {
        _registry = registry;
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _retryPolicy = new LlmRetryPolicy(options.Retry, _timeProvider);
    }

    public async Task<LlmCallResult> CompleteAsync(LlmRoute route, JsonObject body, AttemptTimer timer, CancellationToken cancellationToken)
    {
        var client = GetClient(route);
        var parameters = MessageCreateParams.FromRawUnchecked(
            NoParameters, NoParameters, JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(body.ToJsonString())!);
        var spent = TimeSpan.Zero;
        for (var retry = 0; ; retry++)
        {
            var attempt = new AttemptResponse();
            CurrentAttempt.Value = attempt;
            var started = timer.Begin();
            try
            {
                using var response = await client.WithRawResponse.Messages.Create(parameters, cancellationToken).ConfigureAwait(false);
                var json = await response.ReadAsString(cancellationToken).ConfigureAwait(false);
                timer.End(started, (int)response.StatusCode);
                return ParseResponse(route.ProviderName, json);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                timer.End(started, attempt.Status ?? (ex is AnthropicApiException api ? (int)api.StatusCode : null));
                if (!IsTransient(ex) || retry >= _options.Retry.MaxRetries)
                {
                    throw;
                }

                var delay = _retryPolicy.NextDelay(attempt.RetryAfterMs, attempt.RetryAfter, retry);
                if (spent + delay > _options.Retry.MaxTotalDelay)
                {
                    throw;
                }

                spent += delay;
                await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                CurrentAttempt.Value = null;
            }
        }
    }

    /// <summary>The key the provider uses now; used to scrub it from anything that leaves the gateway.</summary>
    public string? CurrentApiKey(string providerName) => _registry.ResolveApiKey(providerName);

    private static bool IsTransient(Exception ex) => ex switch
    {
        AnthropicApiException api => LlmRetryPolicy.IsTransientStatus((int)api.StatusCode),
        AnthropicIOException or HttpRequestException or IOException or TimeoutException => true,
        // Not the caller's cancellation (filtered above): the attempt timeout.
        OperationCanceledException => true,
        _ => false,
    };

    private AnthropicClient GetClient(LlmRoute route)
    {
        // Keys are read at call time: a changed key gets its own client.
        var key = _registry.ResolveApiKey(route.ProviderName)
            ?? throw new LlmProviderException(
                $"provider {route.ProviderName} has no API key: set the {ApiKeyVariable(route.ProviderName)} environment variable or its ApiKey in configuration.");
        return _clients.GetOrAdd((route.ProviderName, key), _ => new AnthropicClient(new ClientOptions
        {
            ApiKey = key,
            BaseUrl = (route.BaseUrl ?? LlmProviderRegistry.AnthropicDefaultBaseUrl).ToString().TrimEnd('/'),
            MaxRetries = 0,
            Timeout = _options.AttemptTimeout,
            Handlers = [Handler.Create(RecordAttemptAsync)],
        }));
    }

    private string ApiKeyVariable(string providerName) =>
        _options.Providers.GetValueOrDefault(providerName)?.ApiKeyVariable ?? LlmProviderRegistry.AnthropicApiKeyVariable;

    private static async Task<HttpResponseMessage> RecordAttemptAsync(HttpRequestMessage request, NextHandler next, CancellationToken cancellationToken)
    {
        var response = await next(request, cancellationToken).ConfigureAwait(false);
        if (CurrentAttempt.Value is { } attempt)
        {
            attempt.Status = (int)response.StatusCode;
            attempt.RetryAfterMs = response.Headers.TryGetValues("retry-after-ms", out var ms) ? ms.FirstOrDefault() : null;
            attempt.RetryAfter = response.Headers.TryGetValues("Retry-After", out var after) ? after.FirstOrDefault() : null;
        }

        return response;
    }

    private static LlmCallResult ParseResponse(string providerName, string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            throw new LlmProviderException($"provider {providerName} returned a response that is not JSON.");
        }

        if (root?["content"] is not JsonArray content)
        {
            throw new LlmProviderException($"provider {providerName} returned a response without content.");
        }

        var usage = root["usage"];
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content.DeepClone() };
        return new LlmCallResult(
            Succeeded: true,
            MessageJson: message.ToJsonString(),
            // Cached prompt tokens are billed as input too; the price table has one input price.
            PromptTokens: ReadInt(usage?["input_tokens"]) + ReadInt(usage?["cache_creation_input_tokens"]) + ReadInt(usage?["cache_read_input_tokens"]),
            CompletionTokens: ReadInt(usage?["output_tokens"]),
            LatencyMs: 0,
            Simulated: false,
            ErrorStatus: null,
            ErrorMessage: null,
            ResponseModel: root["model"] is JsonValue model && model.TryGetValue<string>(out var name) ? name : null,
            Format: LlmWireFormat.Anthropic);
    }

    private static int ReadInt(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;

    private sealed class AttemptResponse
    {
        public int? Status { get; set; }

        public string? RetryAfterMs { get; set; }

        public string? RetryAfter { get; set; }
    }
}
