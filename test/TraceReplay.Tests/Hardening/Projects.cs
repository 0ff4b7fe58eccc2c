using System.Net;
using System.Net.Http.Json;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Hardening;

/// <summary>A project made through the admin API, with a client that sends one of its keys.</summary>
public sealed record TestProject(string Id, string KeyId, string Key, HttpClient Client) : IDisposable
{
    public void Dispose() => Client.Dispose();

    /// <summary>Creates a project and a key of it with <paramref name="admin"/> (a client sending the admin key).</summary>
    public static async Task<TestProject> CreateAsync(HttpClient admin, Func<string, HttpClient> clientWithKey, string name = "isolated")
    {
        var created = await admin.PostAsJsonAsync("/api/v1/projects", new { name });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var projectId = (string)(await ApiFixture.ReadJsonAsync(created))["data"]!["id"]!;

        var keyResponse = await admin.PostAsJsonAsync($"/api/v1/projects/{projectId}/keys", new { name = "tests" });
        Assert.Equal(HttpStatusCode.Created, keyResponse.StatusCode);
        var key = (await ApiFixture.ReadJsonAsync(keyResponse))["data"]!;
        return new TestProject(projectId, (string)key["id"]!, (string)key["key"]!, clientWithKey((string)key["key"]!));
    }
}
