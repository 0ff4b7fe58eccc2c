using System.Net;
using System.Net.Http.Json;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Hardening;

/// <summary>Server-side request forgery: WEBHOOK evaluators reach public addresses only, unless private networks are allowed.</summary>
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
        Assert.Contains($"'{host}' resolves to", message);
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
        Assert.Contains("resolves to", error.Message);
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
    public void AddressesAreClassifiedAsPublicOrNot(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookUrlGuard.IsPublic(IPAddress.Parse(address)));
}
