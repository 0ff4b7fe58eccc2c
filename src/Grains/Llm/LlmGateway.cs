using System.ClientModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Anthropic.Exceptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TraceReplay.Grains.Llm.Simulation;
using TraceReplay.Grains.Telemetry;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// The one way to call an LLM: routes each call to the offline simulator, an OpenAI-compatible (or Azure OpenAI)
/// provider or an Anthropic provider, writes the recorded request in that provider's protocol
/// (<see cref="ChatTranslator"/>), and turns every outcome, errors included, into an <see cref="LlmCallResult"/>.
/// Error messages never contain an API key.
/// </summary>
public sealed partial class LlmGateway
{
    private const int MaxErrorDetailLength = 500;

    private readonly LlmProviderRegistry _registry;
    private readonly SimulatedLlm _simulator;
    private readonly OpenAiCompatibleClients _clients;
    private readonly AnthropicClients _anthropic;
    private readonly int _defaultMaxTokens;
    private readonly ILogger<LlmGateway> _logger;
    private readonly TimeSpan _callTimeout;

    public LlmGateway(LlmProviderRegistry registry, SimulatedLlm simulator, IOptions<LlmOptions> options, ILogger<LlmGateway> logger)
    {
        _registry = registry;
        _simulator = simulator;
        _clients = new OpenAiCompatibleClients(registry, options.Value);
        _anthropic = new AnthropicClients(registry, options.Value);
        _defaultMaxTokens = options.Value.DefaultMaxTokens;
        _logger = logger;
        _callTimeout = options.Value.CallTimeout > TimeSpan.Zero ? options.Value.CallTimeout : TimeSpan.FromSeconds(120);
    }

    public async Task<LlmCallResult> CompleteAsync(LlmCallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        var route = _registry.Find(request.Model);
        if (route is null)
        {
            var served = _registry.ServedModels.Count == 0 ? "none" : string.Join(", ", _registry.ServedModels);
            LogModelNotServed(_logger, request.Model);
            return LlmCallResult.Failure(null, $"no provider serves model '{request.Model}'. Served models: {served}.");
        }

        LogRouted(_logger, request.Model, route.ProviderName);
        using var activity = TraceReplayActivity.StartLlmCall(route.ProviderName, request.Model);
        var timer = new AttemptTimer();
        var result = route.Simulated
            ? await SimulateAsync(request, cancellationToken).ConfigureAwait(false)
            : await CallProviderAsync(route, request, timer, cancellationToken).ConfigureAwait(false);
        activity.RecordLlmResult(result);
        TraceReplayMetrics.LlmCall(route.ProviderName, request.Model, result, timer.RateLimited);
        return result;
    }

    private async Task<LlmCallResult> CallProviderAsync(LlmRoute route, LlmCallRequest request, AttemptTimer timer, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_callTimeout);
        try
        {
            var translated = ChatTranslator.Translate(request.RequestBodyJson, request.Format, route.WireFormat, request.Model, _defaultMaxTokens);
            var result = route.Kind == LlmProviderKinds.Anthropic
                ? await _anthropic.CompleteAsync(route, translated.Body, timer, deadline.Token).ConfigureAwait(false)
                : await _clients.CompleteAsync(route, request.Model, translated.Body, timer, deadline.Token).ConfigureAwait(false);
            var (latency, wait) = Split(started, timer);
            LogSucceeded(_logger, route.ProviderName, request.Model, timer.Attempts, latency);
            return result with
            {
                LatencyMs = latency, WaitMs = wait, Attempts = Math.Max(1, timer.Attempts), Throttled = timer.RateLimited,
                DroppedParameters = translated.DroppedParameters.Count == 0 ? null : translated.DroppedParameters,
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var (status, message) = deadline.IsCancellationRequested
                ? (null, $"provider {route.ProviderName} did not answer within the call timeout ({_callTimeout.TotalSeconds:0.#} s, {Math.Max(1, timer.Attempts)} attempt(s)).")
                : Describe(route.ProviderName, ex);
            message = Scrub(message, _clients.CurrentApiKey(route.ProviderName));
            var (latency, wait) = Split(started, timer);
            LogFailed(_logger, route.ProviderName, request.Model, status, timer.Attempts, message);
            return LlmCallResult.Failure(status, message, latency, Math.Max(1, timer.Attempts)) with { WaitMs = wait, Throttled = timer.RateLimited };
        }
    }

    /// <summary>The simulator speaks chat completions: a request recorded in another protocol is translated for it.</summary>
    private async Task<LlmCallResult> SimulateAsync(LlmCallRequest request, CancellationToken cancellationToken)
    {
        if (request.Format == LlmWireFormat.OpenAi)
        {
            return await _simulator.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        }

        TranslatedRequest translated;
        try
        {
            translated = ChatTranslator.Translate(request.RequestBodyJson, request.Format, LlmWireFormat.OpenAi, request.Model, _defaultMaxTokens);
        }
        catch (LlmProviderException ex)
        {
            return LlmCallResult.Failure(null, ex.Message);
        }

        var result = await _simulator.CompleteAsync(request with { RequestBodyJson = translated.Body.ToJsonString(), Format = LlmWireFormat.OpenAi }, cancellationToken).ConfigureAwait(false);
        return result with { DroppedParameters = translated.DroppedParameters.Count == 0 ? null : translated.DroppedParameters };
    }

    /// <summary>
    /// Latency is the last attempt alone (the successful one, on success); everything else, backoff included, is wait.
    /// </summary>
    private static (double LatencyMs, double WaitMs) Split(long started, AttemptTimer timer)
    {
        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var latency = Math.Min(timer.LastAttempt.TotalMilliseconds, total);
        return (latency, total - latency);
    }

    private static (int? Status, string Message) Describe(string provider, Exception ex) => ex switch
    {
        ClientResultException { Status: > 0 } error =>
            (error.Status, $"provider {provider} returned {error.Status}: {ErrorDetail(error)}"),
        ClientResultException error =>
            (null, $"provider {provider} could not be reached: {Innermost(error).Message}"),
        AnthropicApiException error =>
            ((int)error.StatusCode, $"provider {provider} returned {(int)error.StatusCode}: {AnthropicErrorDetail(error)}"),
        AnthropicException error =>
            (null, $"provider {provider} could not be reached: {Innermost(error).Message}"),
        LlmProviderException error => (null, error.Message),
        OperationCanceledException or TimeoutException =>
            (null, $"provider {provider} did not answer within the attempt timeout."),
        // The retry policy aggregates the exceptions of all attempts when every one of them threw.
        AggregateException { InnerExceptions.Count: > 0 } all =>
            (null, $"{Describe(provider, all.InnerExceptions[^1]).Message.TrimEnd('.')} (all {all.InnerExceptions.Count} attempts failed)."),
        _ => (null, $"provider {provider} call failed: {Innermost(ex).Message}"),
    };

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    /// <summary>The provider's own explanation: error.message of an OpenAI-style body, else the body's start.</summary>
    private static string ErrorDetail(ClientResultException error)
    {
        var body = error.GetRawResponse()?.Content?.ToString();
        if (string.IsNullOrWhiteSpace(body))
        {
            return error.GetRawResponse()?.ReasonPhrase is { Length: > 0 } reason ? reason : "no error details";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var inner))
                {
                    if (inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    {
                        return Truncate(message.GetString()!);
                    }

                    if (inner.ValueKind == JsonValueKind.String)
                    {
                        return Truncate(inner.GetString()!);
                    }
                }

                foreach (var name in (ReadOnlySpan<string>)["message", "detail"])
                {
                    if (root.TryGetProperty(name, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return Truncate(text.GetString()!);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall back to the raw text.
        }

        return Truncate(body.Trim());
    }

    private static string AnthropicErrorDetail(AnthropicApiException error)
    {
        try
        {
            if (error.ApiMessage is { Length: > 0 } message)
            {
                return Truncate(message);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or AnthropicException)
        {
            // A body the SDK cannot read: fall back to the raw text.
        }

        return string.IsNullOrWhiteSpace(error.ResponseBody) ? "no error details" : Truncate(error.ResponseBody.Trim());
    }

    private static string Truncate(string text) =>
        text.Length <= MaxErrorDetailLength ? text : string.Concat(text.AsSpan(0, MaxErrorDetailLength), "…");

    /// <summary>Removes the provider's key, and anything shaped like an OpenAI secret key, from a message.</summary>
    internal static string Scrub(string message, string? apiKey)
    {
        if (!string.IsNullOrEmpty(apiKey) && apiKey != OpenAiCompatibleClients.PlaceholderApiKey)
        {
            message = message.Replace(apiKey, "***", StringComparison.Ordinal);
        }

        return SecretKeyPattern().Replace(message, "sk-***");
    }

    [GeneratedRegex(@"sk-[A-Za-z0-9_\-]{8,}")]
    private static partial Regex SecretKeyPattern();
}
