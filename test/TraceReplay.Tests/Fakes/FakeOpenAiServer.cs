using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TraceReplay.Tests.Fakes;

/// <summary>One request the fake received: its JSON body, its Authorization header and when it arrived (and, for Azure
/// OpenAI's shape, its path with query and api-key header).</summary>
public sealed record FakeRequest(JsonObject Body, string? Authorization, DateTimeOffset ReceivedAt, string? PathAndQuery = null, string? ApiKey = null);

/// <summary>
/// A scripted reply. Status 200 answers a chat completion with <see cref="Content"/> and <see cref="ToolCalls"/>
/// (or the default answer); other statuses answer OpenAI's error body with <see cref="Content"/> as its message.
/// <see cref="Body"/> replaces the whole body.
/// </summary>
public sealed record FakeReply(
    int Status = 200,
    JsonObject? Body = null,
    string? Content = null,
    JsonArray? ToolCalls = null,
    int? RetryAfterSeconds = null,
    TimeSpan? Delay = null);

/// <summary>
/// A fake OpenAI-compatible chat-completions server on Kestrel, listening on a free loopback port. It records every
/// request, tracks how many run at once, and answers deterministically or as <see cref="Responder"/> scripts.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<FakeRequest> _requests = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _inFlight;
    private int _maxConcurrent;
    private long _delayTicks;
    private long _completionIds;
    private Func<JsonObject, FakeReply?>? _responder;

    private FakeOpenAiServer(WebApplication app)
    {
        _app = app;
        _app.MapPost("/v1/chat/completions", HandleAsync);
        _app.MapPost("/chat/completions", HandleAsync);
        _app.MapPost("/openai/deployments/{deployment}/chat/completions", HandleAsync);
    }

    /// <summary>Base URL including /v1, e.g. http://127.0.0.1:5123/v1.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>How long every call waits before answering, unless its reply says otherwise.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>Scripts the reply to a request body; returning null gives the default answer.</summary>
    public Func<JsonObject, FakeReply?>? Responder
    {
        get => Volatile.Read(ref _responder);
        set => Volatile.Write(ref _responder, value);
    }

    /// <summary>A snapshot of the requests received so far, in arrival order.</summary>
    public IReadOnlyList<FakeRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>
    /// A fresh tag for one test. A test that puts it in its traces' messages (see <see cref="Tagged(string)"/>) counts
    /// only its own requests: in-flight calls of an earlier test on the same shared server never disturb its numbers.
    /// </summary>
    public static string NewTag() => "tag-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The requests, in arrival order, whose body mentions <paramref name="tag"/>.</summary>
    public IReadOnlyList<FakeRequest> Tagged(string tag) =>
        [.. Requests.Where(r => r.Body.ToJsonString().Contains(tag, StringComparison.Ordinal))];

    /// <summary>The most requests that were being handled at the same moment.</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    /// <summary>The requests being handled now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new FakeOpenAiServer(builder.Build());
        await server._app.StartAsync();

        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        server.BaseUrl = $"{address.TrimEnd('/')}/v1";
        return server;
    }

    /// <summary>Forgets requests, counters, the delay and the script.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _requests.Clear();
        }

        Interlocked.Exchange(ref _maxConcurrent, 0);
        Delay = TimeSpan.Zero;
        Responder = null;
    }

    /// <summary>Completes once at least <paramref name="count"/> requests have arrived; throws on timeout.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (_requests.Count >= count)
            {
                return;
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
        }

        try
        {
            await signal.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Expected {count} requests within {timeout}, received {Requests.Count}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            UpdatePeak(inFlight);
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject ?? [];
            Record(new FakeRequest(
                body, context.Request.Headers.Authorization.FirstOrDefault(), DateTimeOffset.UtcNow,
                context.Request.Path + context.Request.QueryString, context.Request.Headers["api-key"].FirstOrDefault()));

            var reply = Responder?.Invoke(body) ?? new FakeReply();
            var delay = reply.Delay ?? Delay;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            context.Response.StatusCode = reply.Status;
            if (reply.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var answer = reply.Body ?? (reply.Status == StatusCodes.Status200OK ? Completion(body, reply) : Error(reply));
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (an attempt timeout); nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void UpdatePeak(int inFlight)
    {
        var peak = Volatile.Read(ref _maxConcurrent);
        while (inFlight > peak)
        {
            var seen = Interlocked.CompareExchange(ref _maxConcurrent, inFlight, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    private void Record(FakeRequest request)
    {
        lock (_lock)
        {
            _requests.Add(request);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_requests.Count >= _waiters[i].Count)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private JsonObject Completion(JsonObject request, FakeReply reply)
    {
        var model = request["model"]?.GetValue<string>() ?? "unknown";
        var messages = request["messages"] as JsonArray ?? [];
        var content = reply.Content ?? (reply.ToolCalls is null ? DefaultAnswer(model, messages) : null);

        // Like OpenAI, an answer stops at the request's token limit (this fake counts a token per four characters).
        var limit = (request["max_completion_tokens"] ?? request["max_tokens"]) is JsonValue value && value.TryGetValue<int>(out var tokens) ? tokens : (int?)null;
        var truncated = content is not null && limit is { } max && content.Length > max * 4;
        if (truncated)
        {
            content = content![..(limit!.Value * 4)];
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
        if (reply.ToolCalls is not null)
        {
            message["tool_calls"] = reply.ToolCalls.DeepClone();
        }

        var promptTokens = Math.Max(1, CeilingQuarter(messages.Sum(m => TextOf(m?["content"]).Length)));
        var completionTokens = CeilingQuarter(content?.Length ?? 0);
        return new JsonObject
        {
            ["id"] = $"chatcmpl-fake-{Interlocked.Increment(ref _completionIds)}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["finish_reason"] = truncated ? "length" : reply.ToolCalls is null ? "stop" : "tool_calls",
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens,
                ["completion_tokens"] = completionTokens,
                ["total_tokens"] = promptTokens + completionTokens,
            },
        };
    }

    private static string DefaultAnswer(string model, JsonArray messages)
    {
        var lastUser = messages.LastOrDefault(m => m?["role"]?.GetValue<string>() == "user");
        var text = TextOf(lastUser?["content"]);
        return $"fake answer from {model} to: {(text.Length > 60 ? text[..60] : text)}";
    }

    /// <summary>The text of a message's content: a string, or the text parts of a content-part array.</summary>
    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray parts => string.Concat(parts.Select(p => p?["type"]?.GetValue<string>() == "text" ? p["text"]?.GetValue<string>() : null)),
        _ => "",
    };

    private static int CeilingQuarter(int characters) => (characters + 3) / 4;

    private static JsonObject Error(FakeReply reply)
    {
        var (type, code) = reply.Status switch
        {
            400 => ("invalid_request_error", "invalid_request"),
            401 => ("invalid_request_error", "invalid_api_key"),
            404 => ("invalid_request_error", "model_not_found"),
            429 => ("requests", "rate_limit_exceeded"),
            _ => ("server_error", "server_error"),
        };
        return new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = reply.Content ?? $"fake error {reply.Status}",
                ["type"] = type,
                ["code"] = code,
            },
        };
    }
}
