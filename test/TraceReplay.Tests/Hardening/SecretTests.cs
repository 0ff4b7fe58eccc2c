using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Hardening;

/// <summary>Provider keys and webhook secrets never leave the server: not in a response, not in a log line.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(HardeningCollection.Name)]
public sealed class SecretTests(HardeningFixture fixture)
{
    private const string WebhookSecret = "hook-secret-7d1e0b2a94c6";

    [Fact]
    public async Task AFullRunWithPlantedSecretsPutsThemInNoResponseAndNoLogLine()
    {
        using var project = await fixture.NewProjectAsync();
        var bodies = new List<string>();
        async Task<JsonNode> Call(Func<Task<HttpResponseMessage>> call)
        {
            // Polling runs into this fixture's small rate limit; a 429 is waited out, not a finding here.
            var response = await call();
            while (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } wait)
            {
                bodies.Add(await response.Content.ReadAsStringAsync());
                await Task.Delay(wait);
                response = await call();
            }

            var text = await response.Content.ReadAsStringAsync();
            bodies.Add(string.Join(" ", response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value)) + " " + text);
            return text.Length > 0 && text[0] is '{' or '[' ? JsonNode.Parse(text)! : JsonValue.Create(text);
        }

        var traceId = NewTraceId();
        var failingTrace = NewTraceId();
        var webhook = await Call(() => project.Client.PostAsJsonAsync("/api/v1/evaluators", new
        {
            name = "hook", type = "WEBHOOK",
            config = new { url = "https://scorer.invalid/hook", headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + WebhookSecret } },
        }));
        var webhookId = (string)webhook["data"]!["id"]!;
        await Call(() => project.Client.PostAsJsonAsync("/api/v1/evaluators", new { name = "judge", type = "LLM_JUDGE", config = new { criteria = "helpful" } }));
        await Call(() => project.Client.PostAsJsonAsync("/api/v1/traces",
            Of(TraceCreate(traceId), Span(traceId, "root", "AGENT"), LlmSpan(traceId, "llm", "secrets " + traceId, parent: "root"),
               TraceCreate(failingTrace), LlmSpan(failingTrace, "llm", "leak " + failingTrace))));

        // A provider that echoes the key it was sent in its error, as some do.
        fixture.Llm.Responder = body => body.ToJsonString().Contains(failingTrace)
            ? new FakeReply(401, Content: $"Incorrect API key provided: {HardeningFixture.ProviderSecret}.")
            : null;
        try
        {
            var ok = await Call(() => project.Client.PostAsJsonAsync($"/api/v1/traces/{traceId}/replays", new { model = "gpt-4o-mini" }));
            var failed = await Call(() => project.Client.PostAsJsonAsync($"/api/v1/traces/{failingTrace}/replays", new { }));
            foreach (var id in new[] { (string)ok["data"]!["id"]!, (string)failed["data"]!["id"]! })
            {
                await Eventually.ReturnsAsync(() => Call(() => project.Client.GetAsync($"/api/v1/replays/{id}")),
                    r => (string?)r["data"]!["status"] is "COMPLETED" or "FAILED", TimeSpan.FromSeconds(30), "the replay");
                await Call(() => project.Client.GetAsync($"/api/v1/replays/{id}/comparison"));
            }

            var sweep = await Call(() => project.Client.PostAsJsonAsync("/api/v1/sweeps",
                new { filter = new { traceIds = new[] { traceId, failingTrace } }, overrides = new { model = "gpt-4o-mini" } }));
            var sweepId = (string)sweep["data"]!["id"]!;
            await Eventually.ReturnsAsync(() => Call(() => project.Client.GetAsync($"/api/v1/sweeps/{sweepId}")),
                s => (string?)s["data"]!["status"] is "COMPLETED" or "FAILED", TimeSpan.FromSeconds(30), "the sweep");
            await Call(() => project.Client.GetAsync($"/api/v1/sweeps/{sweepId}/results"));
            await Call(() => project.Client.GetAsync($"/api/v1/sweeps/{sweepId}/results?format=csv"));
        }
        finally
        {
            fixture.Llm.Responder = null;
        }

        // The webhook evaluation has been tried (and failed: the host does not resolve) before the logs are read.
        await Eventually.ReturnsAsync(() => Call(() => project.Client.GetAsync($"/api/v1/traces/{traceId}/scores")),
            s => s["data"]!.AsArray().Any(x => (string?)x!["evaluatorId"] == webhookId), TimeSpan.FromSeconds(30), "the webhook's score");
        foreach (var path in new[]
        {
            $"/api/v1/traces/{traceId}", $"/api/v1/traces/{failingTrace}", $"/api/v1/traces/{traceId}/replays", $"/api/v1/traces/{failingTrace}/replays",
            "/api/v1/traces", "/api/v1/evaluators", $"/api/v1/evaluators/{webhookId}", "/api/v1/models", "/api/v1/sweeps",
            "/dashboard/config", "/", "/index.html", "/openapi/v1.json",
        })
        {
            await Call(() => project.Client.GetAsync(path));
        }

        var failure = (await Call(() => project.Client.GetAsync($"/api/v1/traces/{failingTrace}/replays")))["data"]![0]!;
        Assert.Equal("FAILED", (string?)failure["status"]);
        Assert.Contains("Incorrect API key provided", (string?)failure["error"]!["message"]);
        Assert.Equal("***", (string?)(await Call(() => project.Client.GetAsync($"/api/v1/evaluators/{webhookId}")))["data"]!["config"]!["headers"]!["Authorization"]);
        Assert.Contains(fixture.Llm.Requests, r => r.Authorization == "Bearer " + HardeningFixture.ProviderSecret);

        foreach (var secret in new[] { HardeningFixture.ProviderSecret, WebhookSecret })
        {
            Assert.DoesNotContain(bodies, b => b.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(fixture.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }

        Assert.NotEmpty(fixture.Logs.Lines);
    }

    [Fact]
    public async Task WebhookHeadersAreStoredButReadBackRedactedAndARedactedValueSentBackKeepsTheSecret()
    {
        using var project = await fixture.NewProjectAsync();
        var created = await project.Client.PostAsJsonAsync("/api/v1/evaluators", new
        {
            name = "hook", type = "WEBHOOK",
            config = new { url = "https://scorer.invalid/hook", headers = new Dictionary<string, string> { ["X-Api-Key"] = WebhookSecret } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var evaluator = (await ApiFixture.ReadJsonAsync(created))["data"]!;
        Assert.Equal("***", (string?)evaluator["config"]!["headers"]!["X-Api-Key"]);

        var config = evaluator["config"]!.DeepClone();
        config["timeoutMs"] = 5000;
        var patched = await project.Client.PatchAsJsonAsync($"/api/v1/evaluators/{(string)evaluator["id"]!}", new { config });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.DoesNotContain(WebhookSecret, await patched.Content.ReadAsStringAsync());

        var stored = await fixture.Services.GetRequiredService<IClusterClient>().GetGrain<IEvaluatorRegistryGrain>(project.Id)
            .GetAsync((string)evaluator["id"]!);
        Assert.Contains(WebhookSecret, stored!.ConfigJson);
        Assert.Contains("5000", stored.ConfigJson);
    }
}
