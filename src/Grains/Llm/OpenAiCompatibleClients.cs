using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Sends chat-completion bodies to OpenAI-compatible and Azure OpenAI providers with the official OpenAI SDK's protocol
/// method, so messages, tools, tool_choice, response_format and parameters go over the wire as given.
/// One <see cref="ChatClient"/> is cached per provider and model.
/// </summary>
internal sealed class OpenAiCompatibleClients
{
    /// <summary>Local servers (vLLM, Ollama, LM Studio) accept any key, but the SDK requires one.</summary>
    internal const string PlaceholderApiKey = "not-needed";

    private readonly LlmProviderRegistry _registry;
    private readonly LlmOptions _options;
    private readonly LlmRetryPolicy _retryPolicy;
    private readonly ConcurrentDictionary<(string Provider, string Model), CachedClient> _clients = new();

    public OpenAiCompatibleClients(LlmProviderRegistry registry, LlmOptions options, TimeProvider? timeProvider = null)
    {
        _registry = registry;
        _options = options;
        _retryPolicy = new LlmRetryPolicy(options.Retry, timeProvider);
    }

    /// <summary>
    /// Sends <paramref name="body"/> (already in chat-completions form) to the route's provider. Throws
    /// <see cref="ClientResultException"/> for an error status after retries, <see cref="LlmProviderException"/> for a
    /// missing key or an unreadable response.
    /// </summary>
    public async Task<LlmCallResult> CompleteAsync(
        LlmRoute route, string model, JsonObject body, AttemptTimer timer, CancellationToken cancellationToken)
    {
        var client = GetClient(route, model);

        using var content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
        var requestOptions = new RequestOptions { CancellationToken = cancellationToken };
        requestOptions.AddPolicy(timer, PipelinePosition.PerTry);

        var result = await client.CompleteChatAsync(content, requestOptions).ConfigureAwait(false);
        return ParseResponse(route.ProviderName, result.GetRawResponse().Content);
    }

    /// <summary>The key the provider uses now; used to scrub it from anything that leaves the gateway.</summary>
    public string? CurrentApiKey(string providerName) => _registry.ResolveApiKey(providerName);

    private ChatClient GetClient(LlmRoute route, string model)
    {
        var providerName = route.ProviderName;
        var baseUrl = route.BaseUrl ?? LlmProviderRegistry.OpenAiDefaultBaseUrl;
        var azure = route.Kind == LlmProviderKinds.AzureOpenAi;

        // Keys are read at call time: a changed key updates the cached credential in place.
        var key = _registry.ResolveApiKey(providerName);
        if (key is null)
        {
            if (azure || string.Equals(baseUrl.Host, LlmProviderRegistry.OpenAiDefaultBaseUrl.Host, StringComparison.OrdinalIgnoreCase))
            {
                var variable = _options.Providers.GetValueOrDefault(providerName)?.ApiKeyVariable ?? LlmProviderRegistry.OpenAiApiKeyVariable;
                throw new LlmProviderException(
                    $"provider {providerName} has no API key: set the {variable} environment variable or its ApiKey in configuration.");
            }

            key = PlaceholderApiKey;
        }

        var cached = _clients.GetOrAdd((providerName, model), _ => azure
            ? CreateClient(model, new Uri($"{baseUrl.ToString().TrimEnd('/')}/openai/deployments/{Uri.EscapeDataString(route.Deployment ?? model)}"), key,
                new AzureApiKeyPolicy(_registry.AzureApiVersion(providerName)))
            : CreateClient(model, baseUrl, key, null));
        if (!string.Equals(cached.Key, key, StringComparison.Ordinal))
        {
            cached.Credential.Update(key);
            cached.Key = key;
        }

        return cached.Client;
    }

    private CachedClient CreateClient(string model, Uri baseUrl, string key, PipelinePolicy? azurePolicy)
    {
        var credential = new ApiKeyCredential(key);
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = baseUrl,
            RetryPolicy = _retryPolicy,
            NetworkTimeout = _options.AttemptTimeout,
        };
        if (azurePolicy is not null)
        {
            clientOptions.AddPolicy(azurePolicy, PipelinePosition.BeforeTransport);
        }

        return new CachedClient(new ChatClient(model, credential, clientOptions), credential, key);
    }

    private static LlmCallResult ParseResponse(string providerName, BinaryData content)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(content.ToMemory().Span);
        }
        catch (JsonException)
        {
            throw new LlmProviderException($"provider {providerName} returned a response that is not JSON.");
        }

        if (root?["choices"] is not JsonArray { Count: > 0 } choices || choices[0]?["message"] is not JsonObject message)
        {
            throw new LlmProviderException($"provider {providerName} returned a response without choices[0].message.");
        }

        var usage = root["usage"];
        return new LlmCallResult(
            Succeeded: true,
            MessageJson: message.ToJsonString(),
            PromptTokens: ReadInt(usage?["prompt_tokens"]),
            CompletionTokens: ReadInt(usage?["completion_tokens"]),
            LatencyMs: 0,
            Simulated: false,
            ErrorStatus: null,
            ErrorMessage: null,
            ResponseModel: root["model"] is JsonValue model && model.TryGetValue<string>(out var name) ? name : null,
            Format: LlmWireFormat.OpenAi);
    }

    private static int ReadInt(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;

    private sealed class CachedClient(ChatClient client, ApiKeyCredential credential, string key)
    {
        public ChatClient Client { get; } = client;

        public ApiKeyCredential Credential { get; } = credential;

        public string Key { get; set; } = key;
    }
}

/// <summary>
/// Azure OpenAI's authentication and versioning: the key in the api-key header (not a bearer token) and the
/// api-version query parameter. Runs just before the transport, after the SDK set its own header.
/// </summary>
internal sealed class AzureApiKeyPolicy(string apiVersion) : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Apply(message);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Apply(message);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }

    private void Apply(PipelineMessage message)
    {
        var request = message.Request;
        if (request.Headers.TryGetValue("Authorization", out var authorization) && authorization is not null)
        {
            const string Bearer = "Bearer ";
            request.Headers.Remove("Authorization");
            request.Headers.Set("api-key", authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? authorization[Bearer.Length..] : authorization);
        }

        if (request.Uri is { } uri && !uri.Query.Contains("api-version=", StringComparison.Ordinal))
        {
            var separator = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
            request.Uri = new Uri($"{uri}{separator}api-version={Uri.EscapeDataString(apiVersion)}");
        }
    }
}
