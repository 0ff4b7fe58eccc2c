using System.Net;
using Microsoft.AspNetCore.Http;
using TraceReplay.Api.Dashboard;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Dashboard;

/// <summary>How the API host serves the dashboard, and when it hands out the key.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class DashboardHostingTests(ApiFixture api)
{
    [Fact]
    public async Task TheRootServesTheDashboardWhileUnknownApiRoutesKeepTheirJsonNotFound()
    {
        var root = await api.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"/js/app.js\">", await root.Content.ReadAsStringAsync());

        var missing = await api.Client.GetAsync($"/api/v1/no-such-route-{Guid.NewGuid():N}");
        var message = await ApiFixture.AssertErrorAsync(missing, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.EndsWith("answered 404.", message);
    }

    [Fact]
    public async Task DashboardConfigGivesNoKeyToARequestThatIsNotFromLoopback()
    {
        // The in-memory test server has no remote address, like a request whose origin cannot be told.
        var config = await api.GetDataAsync("/dashboard/config");
        Assert.Null((string?)config["apiKey"]);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:5080", null, null, true)]
    [InlineData("::1", "[::1]:5080", null, null, true)]
    [InlineData("127.0.0.1", "localhost:5080", null, "http://localhost:5080", true)]
    [InlineData("127.0.0.1", "evil.example:5080", null, null, false)]
    [InlineData("127.0.0.1", "evil.example", null, null, false)]
    [InlineData("127.0.0.1", "localhost:5081", null, null, false)]
    [InlineData("127.0.0.1", "localhost", null, null, false)]
    [InlineData("127.0.0.1", "localhost:5080", null, "http://evil.example", false)]
    [InlineData("127.0.0.1", "localhost:5080", null, "null", false)]
    [InlineData("127.0.0.1", "localhost:5080", "X-Forwarded-For", null, false)]
    [InlineData("127.0.0.1", "localhost:5080", "Forwarded", null, false)]
    [InlineData("127.0.0.1", "localhost:5080", "X-Real-IP", null, false)]
    [InlineData("127.0.0.1", "localhost:5080", "X-Forwarded-Host", null, false)]
    [InlineData("127.0.0.1", "localhost:5080", "X-Original-Forwarded-For", null, false)]
    [InlineData("127.0.0.1", "localhost:5080", "Via", null, false)]
    [InlineData("192.168.1.20", "localhost:5080", null, null, false)]
    public void OnlyALocalBrowserTalkingToThisServerDirectlyCountsAsLocal(string remote, string host, string? header, string? origin, bool local)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        if (header is not null)
        {
            context.Request.Headers[header] = "203.0.113.9";
        }

        if (origin is not null)
        {
            context.Request.Headers.Origin = origin;
        }

        Assert.Equal(local, DashboardEndpoints.IsLocalBrowser(context.Request, IPAddress.Parse(remote), 5080));
    }

    [Theory]
    [InlineData(true, "http://localhost:5080")]
    [InlineData(true, "http://127.0.0.1:5080", "http://[::1]:5080")]
    [InlineData(false, "http://0.0.0.0:5080")]
    [InlineData(false, "http://+:5080")]
    [InlineData(false, "http://*:5080")]
    [InlineData(false, "http://localhost:5080", "http://192.168.1.20:5080")]
    [InlineData(false, "http://[::]:5080")]
    public void TheKeyIsOfferedByDefaultOnlyWhileTheApiListensOnLoopbackAlone(bool expected, params string[] addresses) =>
        Assert.Equal(expected, DashboardEndpoints.ListensOnLoopbackOnly(addresses));
}
