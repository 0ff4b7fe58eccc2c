using System.Net;
using Microsoft.AspNetCore.Http;
using TraceReplay.Api.Dashboard;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Dashboard;

/// <summary>How the API host serves the dashboard, and when it hands out the key.</summary>
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
    [InlineData("127.0.0.1", null, true)]
    [InlineData("::1", null, true)]
    [InlineData("127.0.0.1", "X-Forwarded-For", false)]
    [InlineData("127.0.0.1", "Forwarded", false)]
    [InlineData("127.0.0.1", "X-Real-IP", false)]
    [InlineData("192.168.1.20", null, false)]
    [InlineData("10.0.0.5", "X-Forwarded-For", false)]
    public void OnlyADirectLoopbackRequestCountsAsLocal(string remote, string? header, bool local)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers[header] = "203.0.113.9";
        }

        Assert.Equal(local, DashboardEndpoints.IsDirectLoopback(context.Request, IPAddress.Parse(remote)));
    }
}
