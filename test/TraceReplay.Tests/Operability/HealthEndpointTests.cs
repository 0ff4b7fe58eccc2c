using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Postgres;

namespace TraceReplay.Tests.Operability;

[Trait(TestCategory.Name, TestCategory.Postgres)]
[Collection(ApiCollection.Name)]
public sealed class HealthEndpointTests(ApiFixture api)
{
    [Fact]
    public async Task LiveAndReadyAnswerJsonWithoutAKeyInTheInMemoryDefault()
    {
        using var probe = ((TestServer)api.Services.GetRequiredService<IServer>()).CreateClient();

        var live = await probe.GetAsync(HealthEndpoints.LivePath);
        var ready = await probe.GetAsync(HealthEndpoints.ReadyPath);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", (string?)(await ApiFixture.ReadJsonAsync(live))["status"]);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ApiFixture.ReadJsonAsync(ready);
        Assert.Equal("Healthy", (string?)body["checks"]!["cluster"]!["status"]);
        Assert.Equal("Healthy", (string?)body["checks"]!["postgres"]!["status"]);
        Assert.Contains("in memory", (string?)body["checks"]!["postgres"]!["description"]);
    }

    [PostgresFact]
    public async Task ReadyAnswers503WhilePostgresIsUnreachableAndLiveStays200()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        var direct = new NpgsqlConnectionStringBuilder(db);
        await using var relay = new TcpRelay(direct.Host!, direct.Port);
        relay.Start();
        var throughRelay = new NpgsqlConnectionStringBuilder(db) { Host = "127.0.0.1", Port = relay.Port, Timeout = 3 }.ConnectionString;
        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = throughRelay });

        var (status, body) = await ReadyAsync(host);
        Assert.True(status == HttpStatusCode.OK, $"ready answered {(int)status}: {body}");
        Assert.Equal("Healthy", (string?)body["checks"]!["postgres"]!["status"]);
        Assert.Equal("Healthy", (string?)body["checks"]!["cluster"]!["status"]);

        await relay.StopAsync();
        try
        {
            (status, body) = await Eventually.ReturnsAsync(() => ReadyAsync(host), r => r.Status == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(20), "ready to report PostgreSQL unreachable");
            Assert.Equal("Unhealthy", (string?)body["checks"]!["postgres"]!["status"]);
            Assert.DoesNotContain("Username=", body.ToJsonString(), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.OK, (await host.Anonymous.GetAsync(HealthEndpoints.LivePath)).StatusCode);
        }
        finally
        {
            relay.Start();
        }

        await Eventually.ReturnsAsync(() => ReadyAsync(host), r => r.Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "ready to recover once PostgreSQL answers again");
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> ReadyAsync(OperabilityHost host)
    {
        var response = await host.Anonymous.GetAsync(HealthEndpoints.ReadyPath);
        return (response.StatusCode, await ApiFixture.ReadJsonAsync(response));
    }
}
