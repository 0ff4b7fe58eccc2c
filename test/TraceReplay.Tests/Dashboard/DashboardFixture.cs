using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Dashboard;

/// <summary>
/// The real API host on Kestrel at http://127.0.0.1:&lt;free port&gt; (demo data on, LLM provider = the fake server) and
/// Debian's Chromium driven by Playwright. No browser is downloaded: Chromium must be at <see cref="ChromiumPath"/>
/// (scripts/test.sh installs it); under CI=true a missing Chromium fails every browser test.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string ApiKey = "ts_dashboard_test_key";

    private WebApplicationFactory<Program> _factory = null!;
    private IPlaywright _playwright = null!;

    public FakeOpenAiServer Llm { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string BaseUrl { get; private set; } = "";

    public HttpClient Api { get; private set; } = null!;

    /// <summary>repo/TestResults/screenshots: kept as test artifacts, ignored by git.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (!ChromiumFactAttribute.InCi)
            {
                return;   // every browser test is skipped, see ChromiumFactAttribute
            }

            throw new InvalidOperationException($"Chromium is missing at {ChromiumPath}: run scripts/chromium.sh (scripts/test.sh does) to install Debian's chromium package.");
        }

        Llm = await FakeOpenAiServer.StartAsync();
        var port = FreePort();
        var settings = FakeLlmConfiguration.For(Llm);
        settings["TraceReplay:Api:ApiKey"] = ApiKey;
        settings["TraceReplay:Demo:Story"] = "false";   // the demo evaluators would score every trace the tests make
        settings["TraceReplay:Evaluation:SettleDelay"] = "00:00:00.200";   // ingested traces are scored at once
        settings["Orleans:Endpoints:SiloPort"] = FreePort().ToString();
        settings["Orleans:Endpoints:GatewayPort"] = FreePort().ToString();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        _factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        _factory.StartServer();
        BaseUrl = $"http://127.0.0.1:{port}";

        Api = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        await Eventually.ReturnsAsync(
            async () => (await Api.GetAsync("/api/v1/traces/demo-support-agent")).StatusCode,
            status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the demo data to be seeded");

        if (Directory.Exists(ScreenshotDirectory))
        {
            Directory.Delete(ScreenshotDirectory, recursive: true);   // no stale failure shots from an earlier run
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (Llm is not null)
        {
            await Llm.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context (its own sessionStorage), signed in through the sign-in page.</summary>
    public async Task<IPage> SignedInPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 1000 },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(BaseUrl + "/");
        await Assertions.Expect(page.GetByLabel("Project API key")).ToHaveValueAsync(ApiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Traces", Exact = true })).ToBeVisibleAsync();
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TraceReplay.sln")))
            {
                return dir.FullName;
            }
        }

        return AppContext.BaseDirectory;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}

/// <summary>
/// A browser test. Without Chromium it is skipped on a developer machine (saying how to install it), but under
/// CI=true it runs and fails: a browser test never passes by skipping in CI.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public ChromiumFactAttribute()
    {
        if (!InCi && !File.Exists(DashboardFixture.ChromiumPath))
        {
            Skip = $"Chromium is not installed at {DashboardFixture.ChromiumPath}; run scripts/chromium.sh.";
        }
    }
}
