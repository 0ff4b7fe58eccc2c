using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Hardening;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class HostileInputTests(ApiFixture api)
{
    [Fact]
    public async Task EveryHostilePayloadOnEveryWriteEndpointGetsA4xxWithTheErrorShapeAndChangesNothing()
    {
        using var admin = api.ClientWithKey(ApiFixture.AdminKey);
        using var project = await TestProject.CreateAsync(admin, api.ClientWithKey, "hostile");
        var client = project.Client;
        var traceId = NewTraceId();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/traces",
            Of(TraceCreate(traceId), Span(traceId, "root", "AGENT"), LlmSpan(traceId, "llm", "hostile " + traceId, parent: "root")))).StatusCode);
        var evaluator = await client.PostAsJsonAsync("/api/v1/evaluators", new { name = "guarded", type = "REGEX", config = new { pattern = "ok" } });
        Assert.Equal(HttpStatusCode.Created, evaluator.StatusCode);
        var evaluatorId = (string)(await ApiFixture.ReadJsonAsync(evaluator))["data"]!["id"]!;
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/prompt-templates", new { name = "kept", content = "Hi {{name}}" })).StatusCode);
        var before = await SnapshotAsync(client, admin, project.Id, traceId);

        var payloads = HostileInputCorpus.Generate(new HostileInputCorpus.Targets(traceId, evaluatorId, project.Id));
        Assert.True(payloads.Count >= 500, $"only {payloads.Count} payloads");
        var failures = new List<string>();
        await Parallel.ForEachAsync(payloads, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (payload, _) =>
        {
            var response = await (payload.Admin ? admin : client).SendAsync(payload.ToRequest());
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            string? code = null, message = null;
            try
            {
                var error = JsonNode.Parse(text)?["error"];
                (code, message) = ((string?)error?["code"], (string?)error?["message"]);
            }
            catch (System.Text.Json.JsonException)
            {
            }

            if (status is < 400 or >= 500 || string.IsNullOrEmpty(code) || string.IsNullOrWhiteSpace(message))
            {
                lock (failures)
                {
                    failures.Add($"{status} {text[..Math.Min(text.Length, 200)]} <- {payload}");
                }
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} of {payloads.Count} payloads were not refused with a 4xx error:\n{string.Join("\n", failures.Take(40))}");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/models")).StatusCode);
        Assert.Equal(before, await SnapshotAsync(client, admin, project.Id, traceId));
    }

    /// <summary>Everything the project holds, as JSON text, so any change shows.</summary>
    private static async Task<string> SnapshotAsync(HttpClient client, HttpClient admin, string projectId, string traceId)
    {
        var paths = new[]
        {
            $"/api/v1/traces/{traceId}", $"/api/v1/traces/{traceId}/replays", $"/api/v1/traces/{traceId}/scores", "/api/v1/traces?limit=100",
            "/api/v1/evaluators", "/api/v1/prompt-templates", "/api/v1/sweeps",
        };
        var parts = new List<string>();
        foreach (var path in paths)
        {
            parts.Add(await client.GetStringAsync(path));
        }

        var keys = (await admin.GetFromJsonAsync<JsonNode>($"/api/v1/projects/{projectId}/keys"))!["data"]!.AsArray();
        parts.Add(string.Join(",", keys.Select(k => (string?)k!["id"])));
        parts.Add((await admin.GetFromJsonAsync<JsonNode>("/api/v1/projects"))!["data"]!.AsArray().Count.ToString());
        return string.Join("\n", parts);
    }
}
