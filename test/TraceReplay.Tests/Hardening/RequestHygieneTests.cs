using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Operability;

namespace TraceReplay.Tests.Hardening;

/// <summary>Headers, paths, logs and unauthenticated floods: what every request goes through.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class RequestHygieneTests(ApiFixture api)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/js/app.js")]
    [InlineData("/api/v1/models")]
    public async Task TheDashboardAndTheApiAnswerWithSecurityHeadersAndAPolicyWithoutInlineScript(string path)
    {
        var response = await api.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.DoesNotContain("unsafe-eval", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Theory]
    [InlineData("/api/v1/traces/a%01b")]
    [InlineData("/api/v1/traces/a%E2%80%A8b")]
    [InlineData("/api/v1/traces/a%E2%80%A9b/replays")]
    [InlineData("/api/v1/traces/a%0Ab")]
    [InlineData("/api/v1/sweeps/%C2%85")]
    public async Task APathWithControlOrLineSeparatorCharactersIsA400InTheErrorShapeThatDoesNotEchoIt(string path)
    {
        var response = await api.Client.GetAsync(path);

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, ApiErrors.ValidationCode);
        Assert.Contains("control", message);
        Assert.False(RequestHygiene.HasControlCharacters(message));
    }

    [Fact]
    public void ALoggedUrlHasItsKeysRedactedAndItsControlCharactersEscaped()
    {
        var url = RequestHygiene.SafeUrl("/api/v1/traces/a\u2028b\nc", "?api_key=s1&limit=5&KEY=s2&access_token=s3&token=s4&q=api_key");

        Assert.Equal("/api/v1/traces/a\\u2028b\\u000ac?api_key=REDACTED&limit=5&KEY=REDACTED&access_token=REDACTED&token=REDACTED&q=api_key", url);
    }

    [Fact]
    public async Task NoLogLineCarriesAQueryKeyOrARawLineSeparator()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await OperabilityHost.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" },
            services => services.AddSingleton<ILoggerProvider>(logs));

        await host.Client.GetAsync("/api/v1/models?api_key=leaked-query-secret&access_token=leaked-token-secret");
        await host.Client.GetAsync("/api/v1/traces/a%E2%80%A8forged-line");
        await host.Client.GetAsync("/api/v1/traces/plain-id?key=leaked-key-secret");

        var lines = logs.Messages.ToList();
        Assert.Contains(lines, l => l.Contains("/api/v1/models", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("leaked-", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains('\u2028'));
    }

    [Fact]
    public async Task AFloodOfBadKeysFromOneAddressGets429WithRetryAfterWhileAValidKeyIsServed()
    {
        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?>
        {
            ["TraceReplay:RateLimit:UnauthenticatedRequests"] = "5",
            ["TraceReplay:RateLimit:UnauthenticatedWindow"] = "00:01:00",
        });

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 8; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/traces");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-key-" + i);
            last = await host.Anonymous.SendAsync(request);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), statuses.Take(5));
        Assert.All(statuses.Skip(5), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        await ApiFixture.AssertErrorAsync(last!, HttpStatusCode.TooManyRequests, ApiErrors.RateLimitCode);
        Assert.True(last!.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/api/v1/models")).StatusCode);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Messages.Enqueue(formatter(state, exception));
        }
    }
}
