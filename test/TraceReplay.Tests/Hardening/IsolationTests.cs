using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Hardening;

/// <summary>A key of one project never reaches another project's objects: every endpoint answers 404 as for an unknown id.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class IsolationTests(ApiFixture api)
{
    [Fact]
    public async Task EveryEndpointAnswers404ForAnotherProjectsObjects()
    {
        using var admin = api.ClientWithKey(ApiFixture.AdminKey);
        using var other = await TestProject.CreateAsync(admin, api.ClientWithKey);
        var objects = await CreateObjectsAsync(other.Client);
        var (ownTrace, _) = await IngestAsync(api.Client, NewTraceId());

        HttpRequestMessage[] requests =
        [
            Get($"/api/v1/traces/{objects.TraceId}"),
            Post($"/api/v1/traces/{objects.TraceId}/replays", new { model = "gpt-4o-mini" }),
            Get($"/api/v1/traces/{objects.TraceId}/replays"),
            Get($"/api/v1/traces/{objects.TraceId}/scores"),
            Get($"/api/v1/traces/{objects.TraceId}/compare/{ownTrace}"),
            Get($"/api/v1/traces/{ownTrace}/compare/{objects.TraceId}"),
            Get($"/api/v1/traces/{objects.TraceId}/compare/{objects.ReplayTraceId}"),
            Get($"/api/v1/traces/{objects.ReplayTraceId}"),
            Get($"/api/v1/replays/{objects.ReplayId}"),
            Get($"/api/v1/replays/{objects.ReplayId}/comparison"),
            Post("/api/v1/scores", new { traceId = objects.TraceId, evaluatorName = "mine", value = 0.5 }),
            Get($"/api/v1/evaluators/{objects.EvaluatorId}"),
            Patch($"/api/v1/evaluators/{objects.EvaluatorId}", new { enabled = false }),
            Delete($"/api/v1/evaluators/{objects.EvaluatorId}"),
            Get($"/api/v1/prompt-templates?name={objects.TemplateName}"),
            Get($"/api/v1/prompt-templates?name={objects.TemplateName}&version=1"),
            Get($"/api/v1/prompt-templates/versions/{objects.TemplateVersionId}"),
            Get($"/api/v1/sweeps/{objects.SweepId}"),
            Get($"/api/v1/sweeps/{objects.SweepId}/results"),
            Get($"/api/v1/sweeps/{objects.SweepId}/results?format=csv"),
            Post($"/api/v1/sweeps/{objects.SweepId}/cancel", new { }),
            Post($"/api/v1/sweeps/{objects.SweepId}/retry-failed", new { }),
        ];

        foreach (var request in requests)
        {
            var description = $"{request.Method} {request.RequestUri}";
            var response = await api.Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{description} answered {(int)response.StatusCode}");
            await ApiFixture.AssertErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
        }

        // References inside bodies are refused exactly as for ids that never existed.
        var missing = "never-" + Guid.NewGuid().ToString("N");
        await AssertSameAnswerAsync(
            Post("/api/v1/sweeps", new { filter = new { traceIds = new[] { objects.TraceId } }, overrides = new { model = "gpt-4o-mini" } }),
            Post("/api/v1/sweeps", new { filter = new { traceIds = new[] { missing } }, overrides = new { model = "gpt-4o-mini" } }),
            objects.TraceId, missing);
        await AssertSameAnswerAsync(
            Post("/api/v1/sweeps", new { filter = new { traceIds = new[] { ownTrace } }, overrides = new { model = "gpt-4o-mini" }, baselineSweepId = objects.SweepId }),
            Post("/api/v1/sweeps", new { filter = new { traceIds = new[] { ownTrace } }, overrides = new { model = "gpt-4o-mini" }, baselineSweepId = missing }),
            objects.SweepId, missing);

        // Lists show none of it.
        var lists = string.Join("\n", await Task.WhenAll(
            new[] { "/api/v1/traces?limit=100", "/api/v1/sweeps", "/api/v1/evaluators", "/api/v1/prompt-templates" }
                .Select(async path => (await api.GetDataAsync(path)).ToJsonString())));
        Assert.DoesNotContain(objects.TraceId, lists);
        Assert.DoesNotContain(objects.SweepId, lists);
        Assert.DoesNotContain(objects.EvaluatorId, lists);
        Assert.DoesNotContain(objects.TemplateName, lists);

        // Nothing of the other project changed.
        var evaluator = await other.Client.GetAsync($"/api/v1/evaluators/{objects.EvaluatorId}");
        Assert.Equal(HttpStatusCode.OK, evaluator.StatusCode);
        Assert.True((bool)(await ApiFixture.ReadJsonAsync(evaluator))["data"]!["enabled"]!);
        var scores = await other.Client.GetFromJsonAsync<JsonNode>($"/api/v1/traces/{objects.TraceId}/scores");
        Assert.DoesNotContain(scores!["data"]!.AsArray(), s => (string?)s!["name"] == "mine");
        var replays = await other.Client.GetFromJsonAsync<JsonNode>($"/api/v1/traces/{objects.TraceId}/replays");
        Assert.Equal(2, replays!["data"]!.AsArray().Count); // its own replay and its sweep's, none started by the other key

        // And the other project's key does not reach the default project either.
        var back = await other.Client.GetAsync($"/api/v1/traces/{ownTrace}");
        await ApiFixture.AssertErrorAsync(back, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task TwoProjectsMayUseTheSameTraceIdWithoutSeeingEachOther()
    {
        using var admin = api.ClientWithKey(ApiFixture.AdminKey);
        using var other = await TestProject.CreateAsync(admin, api.ClientWithKey);
        var traceId = NewTraceId();

        await IngestAsync(api.Client, traceId, "mine");
        await IngestAsync(other.Client, traceId, "theirs");

        var mine = await api.GetDataAsync($"/api/v1/traces/{traceId}");
        var theirs = (await other.Client.GetFromJsonAsync<JsonNode>($"/api/v1/traces/{traceId}"))!["data"]!;
        Assert.Equal(traceId, (string?)mine["id"]);
        Assert.Equal(traceId, (string?)theirs["id"]);
        Assert.Equal("mine", (string?)mine["name"]);
        Assert.Equal("theirs", (string?)theirs["name"]);
    }

    [Fact]
    public async Task KeysAreManagedWithTheAdminKeyStoredWithoutTheirSecretAndStopWorkingOnceRevoked()
    {
        using var admin = api.ClientWithKey(ApiFixture.AdminKey);
        using var project = await TestProject.CreateAsync(admin, api.ClientWithKey);
        Assert.StartsWith("ts_", project.Key);
        Assert.Equal(HttpStatusCode.OK, (await project.Client.GetAsync("/api/v1/traces")).StatusCode);

        // A project key is not an admin key, and the admin key is not a project key.
        await ApiFixture.AssertErrorAsync(await project.Client.GetAsync("/api/v1/projects"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await ApiFixture.AssertErrorAsync(await api.Client.GetAsync("/api/v1/projects"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await ApiFixture.AssertErrorAsync(await admin.GetAsync("/api/v1/traces"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var listed = await Eventually.ReturnsAsync(
            async () => (await admin.GetFromJsonAsync<JsonNode>($"/api/v1/projects/{project.Id}/keys"))!["data"]!.AsArray().Single()!,
            k => k["lastUsedAt"] is not null, TimeSpan.FromSeconds(10), "the key's last use to be recorded");
        Assert.Equal(project.KeyId, (string?)listed["id"]);
        Assert.StartsWith((string)listed["prefix"]!, project.Key, StringComparison.Ordinal);
        Assert.DoesNotContain(project.Key, listed.ToJsonString());

        var revoked = await admin.DeleteAsync($"/api/v1/projects/{project.Id}/keys/{project.KeyId}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.NotNull((await ApiFixture.ReadJsonAsync(revoked))["data"]!["revokedAt"]);
        await Eventually.ReturnsAsync(() => project.Client.GetAsync("/api/v1/traces"),
            r => r.StatusCode == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10), "the revoked key to be refused");
        await ApiFixture.AssertErrorAsync(await admin.GetAsync("/api/v1/projects/prj_missing/keys"), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    private async Task AssertSameAnswerAsync(HttpRequestMessage foreign, HttpRequestMessage unknown, string foreignId, string unknownId)
    {
        var a = await api.Client.SendAsync(foreign);
        var b = await api.Client.SendAsync(unknown);
        Assert.Equal(b.StatusCode, a.StatusCode);
        Assert.True((int)a.StatusCode is >= 400 and < 500);
        Assert.Equal((await b.Content.ReadAsStringAsync()).Replace(unknownId, "ID"), (await a.Content.ReadAsStringAsync()).Replace(foreignId, "ID"));
    }

    private sealed record ProjectObjects(
        string TraceId, string ReplayId, string ReplayTraceId, string EvaluatorId, string TemplateName, string TemplateVersionId, string SweepId);

    /// <summary>One of everything in the other project: a trace with a score, a replay, an evaluator, a template and a finished sweep.</summary>
    private static async Task<ProjectObjects> CreateObjectsAsync(HttpClient client)
    {
        var (traceId, _) = await IngestAsync(client, NewTraceId());
        await Ok(client.PostAsJsonAsync("/api/v1/scores", new { traceId, evaluatorName = "theirs", value = 0.9 }));
        var evaluator = await Ok(client.PostAsJsonAsync("/api/v1/evaluators", new { name = "theirs", type = "CONTAINS", config = new { value = "x" } }));
        var templateName = "tpl-" + Guid.NewGuid().ToString("N");
        var template = await Ok(client.PostAsJsonAsync("/api/v1/prompt-templates", new { name = templateName, content = "Hello {{name}}" }));

        var replay = await Ok(client.PostAsJsonAsync($"/api/v1/traces/{traceId}/replays", new { model = "gpt-4o-mini" }));
        var replayId = (string)replay["id"]!;
        var done = await Eventually.ReturnsAsync(
            async () => (await client.GetFromJsonAsync<JsonNode>($"/api/v1/replays/{replayId}"))!["data"]!,
            r => (string?)r["status"] is "COMPLETED" or "FAILED", TimeSpan.FromSeconds(60), "the other project's replay");
        Assert.Equal("COMPLETED", (string?)done["status"]);

        var sweep = await Ok(client.PostAsJsonAsync("/api/v1/sweeps", new { filter = new { traceIds = new[] { traceId } }, overrides = new { model = "gpt-4o-mini" } }));
        var sweepId = (string)sweep["id"]!;
        await Eventually.ReturnsAsync(
            async () => (await client.GetFromJsonAsync<JsonNode>($"/api/v1/sweeps/{sweepId}"))!["data"]!,
            s => (string?)s["status"] is "COMPLETED" or "FAILED", TimeSpan.FromSeconds(60), "the other project's sweep");
        return new ProjectObjects(traceId, replayId, (string)done["replayTraceId"]!, (string)evaluator["id"]!, templateName, (string)template["id"]!, sweepId);
    }

    private static async Task<(string TraceId, JsonNode Response)> IngestAsync(HttpClient client, string traceId, string name = "isolation")
    {
        var response = await client.PostAsJsonAsync("/api/v1/traces",
            Of(TraceCreate(traceId, name), Span(traceId, "root", "AGENT"), LlmSpan(traceId, "llm", "hello " + traceId, parent: "root")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (traceId, await ApiFixture.ReadJsonAsync(response));
    }

    private static async Task<JsonNode> Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["data"]!;
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static HttpRequestMessage Delete(string path) => new(HttpMethod.Delete, path);

    private static HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };

    private static HttpRequestMessage Patch(string path, object body) => new(HttpMethod.Patch, path) { Content = JsonContent.Create(body) };
}
