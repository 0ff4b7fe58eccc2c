using System.Net;
using System.Net.Http.Headers;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Operability;
using TraceReplay.Tests.Postgres;

namespace TraceReplay.Tests.Hardening;

/// <summary>The Orleans dashboard (cluster mode, on PostgreSQL) shows every project's grains and logs: admin key only.</summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class OperatorDashboardTests
{
    private const string AdminKey = "operator-admin-key";

    [PostgresFact]
    public async Task TheOrleansDashboardAnswers401WithoutTheAdminKeyAndOpensWithIt()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db,
            ["TraceReplay:Api:AdminKey"] = AdminKey,
        });

        var anonymous = await host.Anonymous.GetAsync(ApiClusterHosting.DashboardPath + "/");
        await ApiFixture.AssertErrorAsync(anonymous, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        // A project key is not an operator key, on the page or on its API.
        await ApiFixture.AssertErrorAsync(await host.Client.GetAsync(ApiClusterHosting.DashboardPath + "/"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        using var bearer = new HttpRequestMessage(HttpMethod.Get, ApiClusterHosting.DashboardPath + "/");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await host.Anonymous.SendAsync(bearer)).StatusCode);

        using var basic = new HttpRequestMessage(HttpMethod.Get, ApiClusterHosting.DashboardPath + "/");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("operator:" + AdminKey)));
        Assert.Equal(HttpStatusCode.OK, (await host.Anonymous.SendAsync(basic)).StatusCode);
    }

    [PostgresFact]
    public async Task WithoutAnAdminKeyConfiguredTheOrleansDashboardIsUnavailable()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db });

        var message = await ApiFixture.AssertErrorAsync(await host.Anonymous.GetAsync(ApiClusterHosting.DashboardPath + "/"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("TRACEREPLAY_ADMIN_KEY", message);
    }
}
