using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using TraceReplay.Tests.Fakes;

namespace TraceReplay.Tests.Fixtures;

/// <summary>The real API host (co-hosted silo, demo data) in memory, with its LLM provider pointed at the fake server.</summary>
public class ApiFixture : IAsyncLifetime
{
    public const string ApiKey = "ts_test_api_key";
    public const string AdminKey = "test_admin_key";
    public const long MaxBodyBytes = 256 * 1024;

    private WebApplicationFactory<Program> _factory = null!;

    public FakeOpenAiServer Llm { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _factory.Services;

    /// <summary>A handler into the in-memory server, for clients that build their own HttpClient (the CLI).</summary>
    public HttpMessageHandler CreateHandler() => _factory.Server.CreateHandler();

    public async Task InitializeAsync()
    {
        Llm = await FakeOpenAiServer.StartAsync();
        var settings = FakeLlmConfiguration.For(Llm);
        settings["TraceReplay:Api:ApiKey"] = ApiKey;
        settings["TraceReplay:Demo:Story"] = "false";   // the demo evaluators would score every trace the tests make
        settings["TraceReplay:Api:AdminKey"] = AdminKey;
        settings["TraceReplay:Api:KeyCacheDuration"] = "00:00:01";
        settings["TraceReplay:Api:MaxRequestBodyBytes"] = MaxBodyBytes.ToString();
        settings["TraceReplay:RetentionDays"] = "30";
        settings["TraceReplay:Telemetry:ConsoleSummaryInterval"] = "00:00:00";
        settings["Orleans:Endpoints:SiloPort"] = FreePort().ToString();
        settings["Orleans:Endpoints:GatewayPort"] = FreePort().ToString();
        Configure(settings);
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        Client = _factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        (await Client.GetAsync("/api/v1/models")).EnsureSuccessStatusCode();
    }

    /// <summary>Settings a fixture of its own adds over the shared ones, before the host starts.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    /// <summary>A client of the same host that sends <paramref name="key"/> (a project key, or the admin key).</summary>
    public HttpClient ClientWithKey(string key)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        await Llm.DisposeAsync();
    }

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("Empty body.");

    public async Task<JsonNode> GetDataAsync(string path)
    {
        var response = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await ReadJsonAsync(response))["data"]!;
    }

    public Task<HttpResponseMessage> PostAsync(string path, object body) => Client.PostAsJsonAsync(path, body);

    public Task<HttpResponseMessage> PostRawAsync(string path, string json) =>
        Client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    /// <summary>Asserts the documented error shape and returns the message.</summary>
    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(code, (string?)error["code"]);
        var message = (string?)error["message"];
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }

    public Task<JsonNode> WaitForReplayAsync(string replayId, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(
            () => GetDataAsync($"/api/v1/replays/{replayId}"),
            r => (string?)r["status"] is "COMPLETED" or "FAILED",
            timeout ?? TimeSpan.FromSeconds(60),
            $"replay {replayId} to finish");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
