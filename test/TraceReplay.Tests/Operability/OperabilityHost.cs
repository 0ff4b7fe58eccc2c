using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Operability;

/// <summary>An API host of its own (co-hosted silo, no demo data), for tests that configure telemetry or storage.</summary>
public sealed class OperabilityHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    private OperabilityHost(WebApplicationFactory<Program> factory, FakeOpenAiServer llm)
    {
        _factory = factory;
        Llm = llm;
        Client = factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.ApiKey);
        Anonymous = factory.CreateClient();
    }

    public FakeOpenAiServer Llm { get; }

    public HttpClient Client { get; }

    /// <summary>A client without the API key, as a load balancer's probe would call.</summary>
    public HttpClient Anonymous { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>A client that sends <paramref name="key"/> (a project's key, or the admin key).</summary>
    public HttpClient ClientWithKey(string key)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public static async Task<OperabilityHost> StartAsync(
        IDictionary<string, string?> extra, Action<IServiceCollection>? services = null)
    {
        var llm = await FakeOpenAiServer.StartAsync();
        var settings = FakeLlmConfiguration.For(llm);
        settings["TraceReplay:Api:ApiKey"] = ApiFixture.ApiKey;
        settings["TraceReplay:Api:SeedDemoData"] = "false";
        settings["TraceReplay:Telemetry:ConsoleSummaryInterval"] = "00:00:00";
        settings["Orleans:Endpoints:SiloPort"] = FreePort().ToString();
        settings["Orleans:Endpoints:GatewayPort"] = FreePort().ToString();
        settings["Orleans:ClusterId"] = "ops-" + Guid.NewGuid().ToString("N")[..8];
        settings["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }

            if (services is not null)
            {
                web.ConfigureTestServices(services);
            }
        });
        var host = new OperabilityHost(factory, llm);
        (await host.Client.GetAsync("/api/v1/models")).EnsureSuccessStatusCode();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _factory.DisposeAsync();
        await Llm.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
