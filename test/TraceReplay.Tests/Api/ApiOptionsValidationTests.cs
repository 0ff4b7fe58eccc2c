using TraceReplay.Tests.Fixtures;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace TraceReplay.Tests.Api;

/// <summary>The API's options are validated when the host starts, so a bad setting stops it naming the setting.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class ApiOptionsValidationTests
{
    [Theory]
    [InlineData("TraceReplay:Limits:MaxSweepsPerProject", "0")]
    [InlineData("TraceReplay:Limits:MaxBatchEvents", "-1")]
    [InlineData("TraceReplay:RateLimit:RequestsPerSecond", "0")]
    [InlineData("TraceReplay:Api:MaxRequestBodyBytes", "0")]
    public async Task AnInvalidSettingStopsTheStartNamingTheSetting(string key, string value)
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("TraceReplay:Api:SeedDemoData", "false");
            web.UseSetting("Orleans:Endpoints:SiloPort", FreePort().ToString());
            web.UseSetting("Orleans:Endpoints:GatewayPort", FreePort().ToString());
            web.UseSetting(key, value);
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains(key, error.Message);
    }

    [Fact]
    public async Task AValueThatIsNotANumberStopsTheStart()
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("TraceReplay:Api:SeedDemoData", "false");
            web.UseSetting("Orleans:Endpoints:SiloPort", FreePort().ToString());
            web.UseSetting("Orleans:Endpoints:GatewayPort", FreePort().ToString());
            web.UseSetting("TraceReplay:Demo:Enabled", "sometimes");
        });

        var error = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());

        Assert.Contains("TraceReplay:Demo:Enabled", error.Message);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
