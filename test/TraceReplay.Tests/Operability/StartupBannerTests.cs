using System.Net;
using System.Net.Sockets;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Postgres;

namespace TraceReplay.Tests.Operability;

/// <summary>The all-in-one API process as a new user starts it: what it prints last is where it runs and the key.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class StartupBannerTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsOwnRequestLog(List<string> lines, int i) =>
        lines[i].Contains("HTTP GET /health/ready answered", StringComparison.Ordinal)
        || (lines[i].StartsWith("info: TraceReplay.Api.Requests", StringComparison.Ordinal) && i + 1 < lines.Count
            && lines[i + 1].Contains("HTTP GET /health/ready answered", StringComparison.Ordinal));

    [Fact]
    public async Task AfterStartUpAndTheDemoTheLastLinesPrintedAreTheUrlTheKeyAndWhereTheKeyCameFrom()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        // The default all-in-one start (in-memory storage, the demo story on the simulator), only on free ports.
        using var api = SiloProcess.StartApi(new Dictionary<string, string?>
        {
            ["urls"] = url,
            ["Orleans:Endpoints:SiloPort"] = FreePort().ToString(),
            ["Orleans:Endpoints:GatewayPort"] = FreePort().ToString(),
        });
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };

        // The demo is ready when its sweep has finished and been scored; the banner is printed again after it.
        var lines = await Eventually.ReturnsAsync(() => Task.FromResult(api.Lines), l => l.Any(x => x.StartsWith("Demo ready", StringComparison.Ordinal))
            && l.SkipWhile(x => !x.StartsWith("Demo ready", StringComparison.Ordinal)).Any(x => x.StartsWith("Key from:", StringComparison.Ordinal)) || api.HasExited,
            TimeSpan.FromMinutes(5), "the demo-ready banner");
        Assert.False(api.HasExited, api.Output);
        await Eventually.ReturnsAsync(async () =>
        {
            using var response = await http.GetAsync("/health/ready");
            return response.StatusCode;
        }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "/health/ready");

        // What the test's own /health/ready requests logged (a header line and the message) came after; leave it out.
        var printed = api.Lines.Where(l => l.Trim().Length > 0).ToList();
        lines = [.. printed.Where((l, i) => !IsOwnRequestLog(printed, i))];
        var tail = lines.TakeLast(5).ToList();
        Assert.True(tail.Count == 5 && tail[0].StartsWith("Demo ready", StringComparison.Ordinal),
            "The last lines printed:\n" + string.Join('\n', lines.TakeLast(16)));
        Assert.Equal($"TraceReplay is running at {url}", tail[1]);
        Assert.StartsWith($"Dashboard: {url}/", tail[2]);
        Assert.Matches(@"^API key \(Authorization: Bearer \.\.\.\): \S{20,}$", tail[3]);
        Assert.StartsWith("Key from: generated at start-up", tail[4]);
        // The first banner came when the host started; nothing else (no telemetry summary) came between the two.
        Assert.Equal(2, lines.Count(l => l.StartsWith("Key from:", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("Since start:", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Orleans.Runtime.SiloOptionsLogger", StringComparison.Ordinal));
    }
}
