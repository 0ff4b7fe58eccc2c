using System.Net;
using System.Net.Http.Json;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Hardening;

/// <summary>Server-side request forgery: WEBHOOK evaluators reach public addresses only, unless private networks are allowed.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(HardeningCollection.Name)]
public sealed class WebhookGuardTests(HardeningFixture fixture)
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/score", "this machine")]
    [InlineData("https://localhost/score", "this machine")]
    [InlineData("https://scorer.localhost/score", "this machine")]
    [InlineData("https://[::1]/score", "this machine")]
    [InlineData("https://169.254.169.254/latest/meta-data", "169.254.169.254")]
    [InlineData("https://10.1.2.3/score", "10.1.2.3")]
    [InlineData("https://172.16.0.9/score", "172.16.0.9")]
    [InlineData("https://192.168.1.1/score", "192.168.1.1")]
    [InlineData("https://100.64.0.1/score", "100.64.0.1")]
    [InlineData("https://0.0.0.0/score", "0.0.0.0")]
    [InlineData("https://[fd00::1]/score", "fd00::1")]
    [InlineData("https://[fe80::1]/score", "fe80::1")]
    [InlineData("https://[::ffff:10.0.0.1]/score", "10.0.0.1")]
    public async Task AWebhookPointingAtAPrivateOrLocalAddressIsRefused(string url, string named)
    {
        using var project = await fixture.NewProjectAsync();

        var response = await project.Client.PostAsJsonAsync("/api/v1/evaluators", new { name = "hook", type = "WEBHOOK", config = new { url } });

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("config.url", message);
        Assert.Contains(named, message);
    }

    [Fact]
    public async Task AHostNameIsResolvedAndRefusedWhenAnyOfItsAddressesIsNotPublic()
    {
        using var project = await fixture.NewProjectAsync();
        // The machine's own name: not literally loopback, but it resolves to this machine (loopback or a private address).
        var host = Dns.GetHostName();
        var addresses = await Dns.GetHostAddressesAsync(host);
        Assert.Contains(addresses, a => !WebhookUrlGuard.IsPublic(a));

        var response = await project.Client.PostAsJsonAsync("/api/v1/evaluators", new { name = "hook", type = "WEBHOOK", config = new { url = $"https://{host}/score" } });

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains($"'{host}' is not a public address", message);
        Assert.All(addresses, a => Assert.DoesNotContain(a.ToString(), message));
    }

    [Fact]
    public void PlainHttpIsRefusedInProductionAndPrivateNetworksAreAllowedOnlyWhenConfigured()
    {
        var production = new WebhookUrlGuard(new WebhookOptions { RequireHttps = true });
        var development = new WebhookUrlGuard(new WebhookOptions { RequireHttps = false });
        var allowed = new WebhookUrlGuard(new WebhookOptions { AllowPrivateNetworks = true, RequireHttps = true });

        Assert.Contains("https", production.CheckUrl(new Uri("http://scorer.example.com/hook")));
        Assert.Null(production.CheckUrl(new Uri("https://scorer.example.com/hook")));
        Assert.Null(development.CheckUrl(new Uri("http://scorer.example.com/hook")));
        Assert.NotNull(development.CheckUrl(new Uri("http://127.0.0.1/hook")));
        Assert.Null(allowed.CheckUrl(new Uri("http://127.0.0.1:9000/hook")));
        Assert.Null(allowed.CheckUrl(new Uri("http://10.0.0.5/hook")));
    }

    [Fact]
    public async Task EveryConnectionChecksTheAddressesItConnectsTo()
    {
        var guard = new WebhookUrlGuard(new WebhookOptions { RequireHttps = false });
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync });

        // The machine's name passes the URL check (it is not literally loopback); the address it resolves to is refused.
        var url = new UriBuilder(fixture.Llm.BaseUrl) { Host = Dns.GetHostName() }.Uri;
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(new Uri(url, "chat/completions"), new StringContent("{}")));

        Assert.Contains("refused", error.Message);
        Assert.Contains("not a public address", error.Message);
    }

    [Fact]
    public async Task ANameThatAnswersAPublicAddressFirstAndLoopbackNextNeverReachesLoopback()
    {
        // A loopback service the webhook must never reach, and a resolver that alternates like a rebinding DNS server.
        using var loopback = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        loopback.Start();
        var port = ((IPEndPoint)loopback.LocalEndpoint).Port;
        var resolutions = 0;
        Task<IPAddress[]> Rebinding(string host, CancellationToken _) =>
            Task.FromResult<IPAddress[]>([Interlocked.Increment(ref resolutions) % 2 == 1 ? IPAddress.Parse("198.51.100.7") : IPAddress.Loopback]);
        var guard = new WebhookUrlGuard(new WebhookOptions { RequireHttps = false }, Rebinding);
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync, UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };

        for (var attempt = 0; attempt < 4; attempt++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => client.PostAsync($"http://rebind.example:{port}/score", new StringContent("{}")));
        }

        // Every connection resolved once: the public answers were connected to (and went nowhere), the loopback ones refused.
        Assert.Equal(4, resolutions);
        Assert.False(loopback.Pending());
    }

    [Fact]
    public async Task ASaveTimeRefusalDoesNotSayWhatTheNameResolvedTo()
    {
        var guard = new WebhookUrlGuard(new WebhookOptions(), (_, _) => Task.FromResult<IPAddress[]>([IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.9.8.7")]));

        var message = await guard.CheckHostAsync("mixed.example", CancellationToken.None);

        Assert.Equal("config.url's host 'mixed.example' is not a public address.", message);
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.20.30.40", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("169.254.1.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("::1", false)]
    [InlineData("fc00::1", false)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("64:ff9b::7f00:1", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("64:ff9b:1::7f00:1", false)]
    [InlineData("2002:7f00:1::1", false)]
    [InlineData("2002:a00:1::1", false)]
    [InlineData("2002:808:808::1", true)]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", false)]
    [InlineData("2001:0:7f00:1:8000:63bf:f7f7:f7f7", false)]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7", true)]
    [InlineData("::ffff:0:7f00:1", false)]
    [InlineData("::ffff:0:a00:1", false)]
    [InlineData("::a00:1", false)]
    public void AddressesAreClassifiedAsPublicOrNot(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookUrlGuard.IsPublic(IPAddress.Parse(address)));
}
