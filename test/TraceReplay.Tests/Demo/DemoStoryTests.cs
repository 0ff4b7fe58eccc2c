using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Spectre.Console;
using TraceReplay.Api.Demo;
using TraceReplay.Cli;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Demo;

/// <summary>
/// The all-in-one host as a new user starts it — demo on, no provider key, so the simulator answers — and what they see
/// within a minute: a finished demo sweep with a verdict, and a CLI sweep over the demo traces that fails on it.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class DemoStoryTests : IAsyncLifetime
{
    private const string ApiKey = "ts_demo_test_key";
    private const string AdminKey = "demo_test_admin_key";
    private WebApplicationFactory<Program> _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        Dictionary<string, string?> settings = new()
        {
            ["TraceReplay:Api:ApiKey"] = ApiKey,
            ["TraceReplay:Api:AdminKey"] = AdminKey,
            ["TraceReplay:Llm:Simulator:Latency"] = "00:00:00.020",
            ["TraceReplay:Telemetry:ConsoleSummaryInterval"] = "00:00:00",
            ["OPENAI_API_KEY"] = "",
            ["OPENAI_BASE_URL"] = "",
            ["Orleans:Endpoints:SiloPort"] = FreePort().ToString(),
            ["Orleans:Endpoints:GatewayPort"] = FreePort().ToString(),
        };
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        (await _client.GetAsync("/api/v1/models")).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    private async Task<JsonNode> DataAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!;
    }

    [Fact]
    public async Task AFreshStartShowsAFinishedDemoSweepWithASignificantChangeAndTheCliFailsOnItsRegression()
    {
        var evaluators = ((JsonArray)await DataAsync(_client, "/api/v1/evaluators")).Select(e => ((string)e!["name"]!, (string)e["type"]!)).ToList();
        Assert.Contains((DemoStory.TimelineEvaluator, "REGEX"), evaluators);
        Assert.Contains((DemoStory.SimilarityEvaluator, "SIMILARITY"), evaluators);
        Assert.Contains((DemoStory.JudgeEvaluator, "LLM_JUDGE"), evaluators);

        var results = await Eventually.ReturnsAsync(
            async () => (await _client.GetAsync($"/api/v1/sweeps/{DemoStory.SweepId}")).IsSuccessStatusCode
                ? await DataAsync(_client, $"/api/v1/sweeps/{DemoStory.SweepId}/results") : new JsonObject(),
            r => r["sweep"]?["completedAt"] is not null
                && r["evaluators"]!.AsArray().Any(e => (string)e!["name"]! == DemoStory.TimelineEvaluator && (int)e["pairs"]! >= 2 * DemoStory.TracesPerAgent),
            TimeSpan.FromSeconds(60), "the demo sweep to finish with both sides scored");

        Assert.Equal("COMPLETED", (string?)results["sweep"]!["status"]);
        var timeline = results["evaluators"]!.AsArray().Single(e => (string)e!["name"]! == DemoStory.TimelineEvaluator)!;
        Assert.Equal("REGRESSED", (string?)timeline["verdict"]);
        Assert.True((double)timeline["wilcoxon"]!["pValue"]! < 0.05, timeline.ToJsonString());
        Assert.True((double)timeline["ci"]!["upper"]! < 0, timeline.ToJsonString());
        Assert.True((bool)results["significantRegression"]!);

        // The README's CI command over the same traces.
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output),
        });
        var exit = await CliApp.RunAsync(
            ["sweep", "--filter", "tag=demo", "--fail-on-regression", "--api-url", "http://localhost", "--api-key", ApiKey],
            new CliEnvironment(console, _ => null, _factory.Server.CreateHandler(), TimeSpan.FromMilliseconds(200)));
        Assert.True(exit == ExitCodes.Regression, output.ToString());
        Assert.Contains(DemoStory.TimelineEvaluator, output.ToString());
        Assert.Contains("REGRESSED", output.ToString());
    }

    [Fact]
    public async Task DemoDataNeverAppearsInANewProject()
    {
        using var admin = _factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var created = await admin.PostAsJsonAsync("/api/v1/projects", new { name = "team-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var projectId = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["id"]!;
        var keyResponse = await admin.PostAsJsonAsync($"/api/v1/projects/{projectId}/keys", new { name = "ci" });
        var key = (string)JsonNode.Parse(await keyResponse.Content.ReadAsStringAsync())!["data"]!["key"]!;
        using var project = _factory.CreateClient();
        project.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        // The default project has the demo; the new one has none of it.
        await Eventually.ReturnsAsync(() => DataAsync(_client, "/api/v1/traces?tags=demo&limit=100"), t => t["traces"]!.AsArray().Count >= 2 * DemoStory.TracesPerAgent,
            TimeSpan.FromSeconds(30), "the demo traces");
        Assert.Empty((await DataAsync(project, "/api/v1/traces?limit=100"))["traces"]!.AsArray());
        Assert.Empty((JsonArray)await DataAsync(project, "/api/v1/evaluators"));
        Assert.Empty((JsonArray)await DataAsync(project, "/api/v1/sweeps"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
