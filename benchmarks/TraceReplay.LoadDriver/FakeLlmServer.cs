using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TraceReplay.LoadDriver;

/// <summary>
/// A minimal OpenAI-compatible chat-completions server on loopback that answers every call after a fixed latency and
/// records when each answer was sent, so throughput is measured where the LLM calls land.
/// </summary>
public sealed class FakeLlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeSpan _latency;
    private readonly List<long> _answeredAt = [];
    private int _inFlight;
    private int _peakInFlight;

    private FakeLlmServer(WebApplication app, TimeSpan latency)
    {
        _app = app;
        _latency = latency;
        _app.MapPost("/v1/chat/completions", HandleAsync);
    }

    public string BaseUrl { get; private set; } = "";

    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    public static async Task<FakeLlmServer> StartAsync(TimeSpan latency)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new FakeLlmServer(builder.Build(), latency);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUrl = $"{address.TrimEnd('/')}/v1";
        return server;
    }

    /// <summary>Timestamps (<see cref="TimeProvider.GetTimestamp"/>) of the answers sent so far, in order.</summary>
    public long[] AnsweredAt()
    {
        lock (_answeredAt)
        {
            return [.. _answeredAt];
        }
    }

    public void Reset()
    {
        lock (_answeredAt)
        {
            _answeredAt.Clear();
        }

        Volatile.Write(ref _peakInFlight, 0);
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
            int peak;
            while (inFlight > (peak = Volatile.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak) != peak)
            {
            }

            using var request = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var model = request.RootElement.TryGetProperty("model", out var m) ? m.GetString() : "unknown";
            if (_latency > TimeSpan.Zero)
            {
                await Task.Delay(_latency, context.RequestAborted);
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                $$$"""{"id":"chatcmpl-bench","object":"chat.completion","created":0,"model":"{{{model}}}","choices":[{"index":0,"message":{"role":"assistant","content":"a benchmark answer"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}""",
                context.RequestAborted);
            lock (_answeredAt)
            {
                _answeredAt.Add(TimeProvider.System.GetTimestamp());
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            context.Response.StatusCode = (int)HttpStatusCode.RequestTimeout;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
