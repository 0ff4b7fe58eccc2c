using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using TraceReplay.Api.Apis;
using TraceReplay.Grains;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Templates;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class PromptTemplatesApiTests(ApiFixture host)
{
    private readonly HttpClient _client = host.Client;

    [Fact]
    public async Task CreatingTwiceNumbersTheVersionsAndEachCanBeReadBack()
    {
        var name = $"support-{Guid.NewGuid():N}";

        var first = await _client.PostAsJsonAsync("/api/v1/prompt-templates", new { name, content = "Hi {{customer}}", commitMessage = "first" });
        var second = await _client.PostAsJsonAsync("/api/v1/prompt-templates", new { name, content = "Hello {{customer}} about {{topic}}" });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var v1 = await Data(first);
        var v2 = await Data(second);
        Assert.Equal(1, v1.GetProperty("version").GetInt32());
        Assert.Equal(2, v2.GetProperty("version").GetInt32());
        Assert.Matches("^ptv_[0-9a-f]{24}$", v1.GetProperty("id").GetString());
        Assert.Equal(["customer", "topic"], v2.GetProperty("variables").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("first", v1.GetProperty("commitMessage").GetString());

        var latest = await Data(await _client.GetAsync($"/api/v1/prompt-templates?name={name}"));
        var byNumber = await Data(await _client.GetAsync($"/api/v1/prompt-templates?name={name}&version=1"));
        var byId = await Data(await _client.GetAsync($"/api/v1/prompt-templates/versions/{v1.GetProperty("id").GetString()}"));
        Assert.Equal(2, latest.GetProperty("version").GetInt32());
        Assert.Equal("Hi {{customer}}", byNumber.GetProperty("content").GetString());
        Assert.Equal(v1.GetProperty("id").GetString(), byId.GetProperty("id").GetString());

        var list = await Data(await _client.GetAsync("/api/v1/prompt-templates"));
        var summary = list.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);
        Assert.Equal(2, summary.GetProperty("latestVersion").GetInt32());
        Assert.Equal(2, summary.GetProperty("versionCount").GetInt32());
        Assert.Equal(v2.GetProperty("id").GetString(), summary.GetProperty("latest").GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("""{"content": "x"}""", "name")]
    [InlineData("""{"name": "  ", "content": "x"}""", "name")]
    [InlineData("""{"name": "t"}""", "content")]
    [InlineData("""{"name": "t", "content": "{{#open}}"}""", "content")]
    [InlineData("""{"name": "t", "content": "{{a}} {{b}}", "variables": ["a"]}""", "variables")]
    [InlineData("""{"name": 5, "content": "x"}""", "name")]
    [InlineData("""{"name": "t", "content": ["x"]}""", "content")]
    [InlineData("""{"name": "t", "content": "x", "variables": "a"}""", "variables")]
    [InlineData("""{"name": "t", "content": "x", "variables": [1]}""", "variables")]
    [InlineData("""{"name": "t", "content": "x", "description": {}}""", "description")]
    [InlineData("""{"name": "t", "content": "x", "commitMessage": 1}""", "commitMessage")]
    public async Task CreatingWithABadFieldIsAValidationErrorNamingIt(string body, string field)
    {
        var response = await _client.PostAsync("/api/v1/prompt-templates", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("VALIDATION_ERROR", error.GetProperty("code").GetString());
        Assert.StartsWith(field, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task CreatingWithMalformedJsonIsAValidationErrorInTheDocumentedShape()
    {
        var name = $"t-{Guid.NewGuid():N}";

        var response = await _client.PostAsync("/api/v1/prompt-templates",
            new StringContent($$"""{"name": "{{name}}", "content": """, System.Text.Encoding.UTF8, "application/json"));

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("JSON", message);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/prompt-templates?name={name}")).StatusCode);
    }

    [Fact]
    public async Task UnknownTemplatesVersionsAndIdsAreNotFoundAndBadNumbersAreRefused()
    {
        var name = $"t-{Guid.NewGuid():N}";
        await _client.PostAsJsonAsync("/api/v1/prompt-templates", new { name, content = "x" });

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/prompt-templates?name=nobody-here")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/prompt-templates?name={name}&version=2")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/prompt-templates/versions/ptv_000000000000000000000000")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync($"/api/v1/prompt-templates?name={name}&version=zero")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync($"/api/v1/prompt-templates?name={name}&version=0")).StatusCode);
    }

    private static async Task<JsonElement> Data(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data");
    }
}
