using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Hardening;

/// <summary>
/// The real API host with small limits, a planted provider key, fast LLM retries and every log line captured: for the
/// limit, secret and fault tests. Each test makes its own project (<see cref="NewProjectAsync"/>), so per-key and
/// per-project limits never meet between tests.
/// </summary>
public sealed class HardeningFixture : IAsyncLifetime
{
    public const string ApiKey = "ts_hardening_default_key";
    public const string AdminKey = "hardening_admin_key";

    /// <summary>The provider key: it must never show up in a response or a log line.</summary>
    public const string ProviderSecret = "sk-planted-provider-secret-5f3a9c1e7b";

    public const int RequestsPerSecond = 40;
    public const int MaxBatchEvents = 450;
    public const int MaxSpansPerTrace = 6;
    public const int MaxReplaysInFlight = 2;
    public const int MaxSweeps = 1;
    public const long MaxBodyBytes = 256 * 1024;

    private WebApplicationFactory<Program> _factory = null!;

    public FakeOpenAiServer Llm { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _factory.Services;

    public async Task InitializeAsync()
    {
        Llm = await FakeOpenAiServer.StartAsync();
        var settings = FakeLlmConfiguration.For(Llm);
        settings["TraceReplay:Llm:Providers:fake:ApiKey"] = ProviderSecret;
        settings["TraceReplay:Llm:Retry:MaxRetries"] = "6";
        settings["TraceReplay:Llm:Retry:BaseDelay"] = "00:00:00.005";
        settings["TraceReplay:Llm:Retry:MaxDelay"] = "00:00:00.200";
        settings["TraceReplay:Llm:Retry:MaxTotalDelay"] = "00:00:02";
        settings["TraceReplay:Llm:AttemptTimeout"] = "00:00:00.500";
        settings["TraceReplay:Llm:Limiter:InitialRatePerSecond"] = "50";
        settings["TraceReplay:Llm:Limiter:IncreasePerSuccess"] = "1";
        settings["TraceReplay:Api:ApiKey"] = ApiKey;
        settings["TraceReplay:Api:AdminKey"] = AdminKey;
        settings["TraceReplay:Api:KeyCacheDuration"] = "00:00:01";
        settings["TraceReplay:Api:MaxRequestBodyBytes"] = MaxBodyBytes.ToString();
        settings["TraceReplay:Api:SeedDemoData"] = "false";
        settings["TraceReplay:RateLimit:RequestsPerSecond"] = RequestsPerSecond.ToString();
        settings["TraceReplay:Limits:MaxBatchEvents"] = MaxBatchEvents.ToString();
        settings["TraceReplay:Limits:MaxReplaysInFlightPerProject"] = MaxReplaysInFlight.ToString();
        settings["TraceReplay:Limits:MaxSweepsPerProject"] = MaxSweeps.ToString();
        settings["TraceReplay:MaxSpansPerTrace"] = MaxSpansPerTrace.ToString();
        settings["Orleans:Endpoints:SiloPort"] = FreePort().ToString();
        settings["Orleans:Endpoints:GatewayPort"] = FreePort().ToString();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        });
        Admin = ClientWithKey(AdminKey);
        Client = ClientWithKey(ApiKey);
        (await Client.GetAsync("/api/v1/models")).EnsureSuccessStatusCode();
    }

    public HttpClient ClientWithKey(string key)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A fresh project with its own key, so its rate limit and quotas are its own.</summary>
    public Task<TestProject> NewProjectAsync(string name = "hardening") => TestProject.CreateAsync(Admin, ClientWithKey, name);

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        await _factory.DisposeAsync();
        await Llm.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class HardeningCollection : ICollectionFixture<HardeningFixture>
{
    public const string Name = "hardening";
}

/// <summary>Keeps every formatted log line (with its exception) of every category, at every level.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The structured values too: a secret in a parameter that the message template leaves out would still reach a sink.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
