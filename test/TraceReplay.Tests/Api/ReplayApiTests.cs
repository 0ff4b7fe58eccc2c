using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Api;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class ReplayApiTests(ApiFixture api)
{
    [Fact]
    public async Task ReplayWithAModelAndTemperatureAnswersPendingAtOnceAndCompletes()
    {
        var (id, _) = await IngestAgentAsync();

        var response = await api.PostAsync($"/api/v1/traces/{id}/replays", new { model = "gpt-4o-mini", modelParameters = new { temperature = 0 } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await ApiFixture.ReadJsonAsync(response))["data"]!;
        var replayId = (string)accepted["id"]!;
        Assert.Equal($"/api/v1/replays/{replayId}", response.Headers.Location?.OriginalString);
        Assert.Equal("PENDING", (string?)accepted["status"]);
        Assert.Equal(id, (string?)accepted["traceId"]);
        Assert.Equal(2, (int)accepted["progress"]!["totalSpans"]!);
        Assert.Equal("gpt-4o-mini", (string?)accepted["overrides"]!["model"]);

        var done = await api.WaitForReplayAsync(replayId);

        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.NotNull((string?)done["startedAt"]);
        Assert.NotNull((string?)done["completedAt"]);
        Assert.True((DateTimeOffset)done["completedAt"]! >= (DateTimeOffset)done["startedAt"]!);
        Assert.Equal(2, (int)done["progress"]!["completedSpans"]!);
        Assert.Equal(2, (int)done["progress"]!["totalSpans"]!);
        Assert.Null(done["error"]);
        Assert.NotNull((string?)done["replayTraceId"]);
    }

    [Fact]
    public async Task TheReplayTraceRunsOnlyTheLlmSpansWithTheOverridesAndCopiesTheRest()
    {
        var (id, marker) = await IngestAgentAsync();
        var original = await api.GetDataAsync($"/api/v1/traces/{id}");

        var replayId = await StartReplayAsync(id, new { model = "gpt-4o-mini", modelParameters = new { temperature = 0 } });
        var done = await api.WaitForReplayAsync(replayId);

        Assert.Equal("COMPLETED", (string?)done["status"]);
        var replay = await api.GetDataAsync($"/api/v1/traces/{(string)done["replayTraceId"]!}");
        Assert.Equal(id, (string?)replay["replayOf"]!["traceId"]);
        Assert.Equal(replayId, (string?)replay["replayOf"]!["replayId"]);
        var spans = replay["spans"]!.AsArray().Select(s => s!).ToList();
        Assert.Equal(5, spans.Count);
        Assert.All(spans, s => Assert.NotNull((string?)s["replayOfSpanId"]));
        Assert.Equal(["root", "search", "plan", "tool", "answer"], spans.Select(s => (string?)s["replayOfSpanId"]));
        var llmSpans = spans.Where(s => (string?)s["type"] == "LLM").ToList();
        Assert.Equal(2, llmSpans.Count);
        Assert.All(llmSpans, s =>
        {
            Assert.Equal("gpt-4o-mini", (string?)s["model"]);
            Assert.Equal(0d, (double)s["modelParameters"]!["temperature"]!);
            Assert.Equal(256, (int)s["modelParameters"]!["max_tokens"]!);
            Assert.StartsWith("fake answer from gpt-4o-mini", (string?)s["output"]);
        });
        foreach (var copied in spans.Where(s => (string?)s["type"] is "TOOL" or "RETRIEVAL"))
        {
            var source = original["spans"]!.AsArray().Single(s => (string?)s!["id"] == (string?)copied["replayOfSpanId"])!;
            Assert.True(JsonNode.DeepEquals(source["input"], copied["input"]), $"input of {copied["name"]}");
            Assert.True(JsonNode.DeepEquals(source["output"], copied["output"]), $"output of {copied["name"]}");
        }

        var sent = RequestsContaining(marker);
        Assert.Equal(2, sent.Count);
        Assert.All(sent, r =>
        {
            Assert.Equal("gpt-4o-mini", (string?)r["model"]);
            Assert.Equal(0d, (double)r["temperature"]!);
        });
    }

    [Fact]
    public async Task HistoryListsTheTracesReplaysNewestFirstWithStatusAndResult()
    {
        var (id, _) = await IngestAgentAsync();
        var first = await StartReplayAsync(id, new { model = "gpt-4o-mini" });
        await api.WaitForReplayAsync(first);
        var second = await StartReplayAsync(id, new { model = "gpt-4.1-mini", modelParameters = new { temperature = 0.2 } });
        await api.WaitForReplayAsync(second);

        var history = (await Eventually.ReturnsAsync(
            () => api.GetDataAsync($"/api/v1/traces/{id}/replays"),
            h => h.AsArray().All(r => (string?)r!["status"] == "COMPLETED"),
            TimeSpan.FromSeconds(30),
            "the history to record both completions")).AsArray();

        Assert.Equal([second, first], history.Select(r => (string?)r!["id"]));
        Assert.Equal("gpt-4.1-mini", (string?)history[0]!["overrides"]!["model"]);
        Assert.Equal(0.2, (double)history[0]!["overrides"]!["modelParameters"]!["temperature"]!);
        Assert.All(history, r =>
        {
            Assert.NotNull(r!["result"]);
            Assert.True((long)r["result"]!["totalTokens"]! > 0);
            Assert.NotNull(r["result"]!["totalCost"]);
            Assert.NotNull((string?)r["replayTraceId"]);
        });
    }

    [Fact]
    public async Task ATemplateOverrideSendsTheMessageRenderedFromTheNewVersion()
    {
        var name = $"api-template-{Guid.NewGuid():N}";
        var v1 = await CreateTemplateVersionAsync(name, "You help {{company}} customers, {{tone}}.");
        var v2 = await CreateTemplateVersionAsync(name, "You are {{company}}'s assistant. Be {{tone}} and brief.");
        var id = NewTraceId();
        var marker = "template " + id;
        var llm = LlmSpan(id, "llm", marker);
        llm["body"]!["input"]![0]!["content"] = "You help Acme customers, warm.";
        llm["body"]!["prompt_template_version_id"] = v1;
        llm["body"]!["prompt_variables"] = new JsonObject { ["company"] = "Acme", ["tone"] = "warm" };
        Assert.Equal(HttpStatusCode.Created, (await api.PostRawAsync("/api/v1/traces", Of(TraceCreate(id), llm).ToJsonString())).StatusCode);

        var replayId = await StartReplayAsync(id, new { promptTemplateVersionId = v2 });
        var done = await api.WaitForReplayAsync(replayId);

        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.Equal(1, (int)done["overridesApplied"]!["promptTemplate"]!);
        var sent = Assert.Single(RequestsContaining(marker));
        var messages = sent["messages"]!.AsArray();
        Assert.Equal("system", (string?)messages[0]!["role"]);
        Assert.Equal("You are Acme's assistant. Be warm and brief.", (string?)messages[0]!["content"]);
        Assert.Equal(marker, (string?)messages[1]!["content"]);
        Assert.Equal("gpt-4o", (string?)sent["model"]);
        var replaySpan = (await api.GetDataAsync($"/api/v1/traces/{(string)done["replayTraceId"]!}"))["spans"]![0]!;
        Assert.Equal(v2, (string?)replaySpan["promptTemplateVersionId"]);
    }

    [Fact]
    public async Task AProviderFailureEndsTheReplayFailedWithTheProvidersStatusAndMessageAndLeavesTheTraceAlone()
    {
        var (id, marker) = await IngestAgentAsync();
        var before = await api.GetDataAsync($"/api/v1/traces/{id}");
        var providerMessage = $"upstream exploded for {id}";
        api.Llm.Responder = body => body.ToJsonString().Contains(marker) ? new FakeReply(Status: 500, Content: providerMessage) : null;
        JsonNode done;
        try
        {
            var replayId = await StartReplayAsync(id, new { model = "gpt-4o-mini" });
            done = await api.WaitForReplayAsync(replayId);
        }
        finally
        {
            api.Llm.Responder = null;
        }

        Assert.Equal("FAILED", (string?)done["status"]);
        Assert.NotNull((string?)done["completedAt"]);
        Assert.Equal(500, (int)done["error"]!["providerStatus"]!);
        Assert.Contains(providerMessage, (string?)done["error"]!["message"]);
        Assert.DoesNotContain(FakeLlmConfiguration.ApiKey, done.ToJsonString());
        Assert.True(JsonNode.DeepEquals(before, await api.GetDataAsync($"/api/v1/traces/{id}")), "the original trace changed");
        // The replay reports its end to the trace's history after the fact; the history catches up.
        var history = (await Eventually.ReturnsAsync(
            () => api.GetDataAsync($"/api/v1/traces/{id}/replays"),
            h => h.AsArray().All(r => (string?)r!["status"] == "FAILED"),
            TimeSpan.FromSeconds(30),
            "the history to record the failure")).AsArray();
        Assert.Equal("FAILED", (string?)Assert.Single(history)!["status"]);
        Assert.Equal(500, (int)history[0]!["error"]!["providerStatus"]!);
    }

    [Fact]
    public async Task TheSeededDemoAgentReplaysWithAnotherModel()
    {
        var replayId = await StartReplayAsync("demo-support-agent", new { model = "gpt-4o-mini" });

        var done = await api.WaitForReplayAsync(replayId);

        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.Equal(2, (int)done["progress"]!["completedSpans"]!);
        var replay = await api.GetDataAsync($"/api/v1/traces/{(string)done["replayTraceId"]!}");
        Assert.Equal("demo-support-agent", (string?)replay["replayOf"]!["traceId"]);
        Assert.All(replay["spans"]!.AsArray().Where(s => (string?)s!["type"] == "LLM"), s => Assert.Equal("gpt-4o-mini", (string?)s!["model"]));
    }

    [Fact]
    public async Task TheModelCatalogListsPricesAndWhichModelsAreServed()
    {
        var models = (await api.GetDataAsync("/api/v1/models")).AsArray().Select(m => m!).ToDictionary(m => (string)m["name"]!);

        foreach (var name in FakeLlmConfiguration.Models)
        {
            Assert.True((bool)models[name]["served"]!, $"{name} should be served");
            Assert.False((bool)models[name]["simulated"]!);
            Assert.Equal("openai", (string?)models[name]["servedByKind"]);
        }

        Assert.Equal(2.5m, (decimal)models["gpt-4o"]["inputPricePerMillion"]!);
        Assert.Equal(10m, (decimal)models["gpt-4o"]["outputPricePerMillion"]!);
        Assert.Null(models["unpriced-model"]["inputPricePerMillion"]);
        Assert.Null(models["unpriced-model"]["outputPricePerMillion"]);
        var claude = models["claude-3-5-sonnet-20241022"];
        Assert.False((bool)claude["served"]!);
        Assert.False((bool)claude["simulated"]!);
        Assert.Equal("anthropic", (string?)claude["provider"]);
        Assert.Null(claude["servedByKind"]);
        Assert.Equal(3m, (decimal)claude["inputPricePerMillion"]!);
        Assert.True(models.Count >= 50);
    }

    /// <summary>An agent trace (retrieval, LLM, tool, LLM) whose LLM requests carry a text unique to it.</summary>
    private async Task<(string TraceId, string Marker)> IngestAgentAsync()
    {
        var id = NewTraceId();
        var marker = "replay " + id;
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        var batch = Of(
            TraceCreate(id, "replay-agent", ["replay-test"], t0),
            Span(id, "root", "AGENT", new JsonObject
            {
                ["start_time"] = Time(t0), ["end_time"] = Time(t0.AddSeconds(3)),
                ["input"] = new JsonObject { ["question"] = marker }, ["output"] = "recorded final",
            }),
            Span(id, "search", "RETRIEVAL", new JsonObject
            {
                ["parent_span_id"] = "root", ["start_time"] = Time(t0.AddMilliseconds(10)), ["end_time"] = Time(t0.AddMilliseconds(100)),
                ["input"] = new JsonObject { ["query"] = "orders" }, ["output"] = new JsonObject { ["docs"] = new JsonArray("Orders ship in 2 days.") },
            }),
            LlmSpan(id, "plan", marker + " (plan)", parent: "root", start: t0.AddMilliseconds(100), durationMs: 900),
            Span(id, "tool", "TOOL", new JsonObject
            {
                ["parent_span_id"] = "root", ["start_time"] = Time(t0.AddMilliseconds(1000)), ["end_time"] = Time(t0.AddMilliseconds(1200)),
                ["input"] = new JsonObject { ["order_id"] = "42" }, ["output"] = new JsonObject { ["status"] = "shipped" },
            }),
            LlmSpan(id, "answer", marker + " (answer)", parent: "root", start: t0.AddMilliseconds(1200), durationMs: 1500));
        var response = await api.PostRawAsync("/api/v1/traces", batch.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (id, marker);
    }

    private async Task<string> StartReplayAsync(string traceId, object body)
    {
        var response = await api.PostAsync($"/api/v1/traces/{traceId}/replays", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
    }

    private async Task<string> CreateTemplateVersionAsync(string name, string content)
    {
        var response = await api.PostAsync("/api/v1/prompt-templates", new { name, content });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
    }

    private List<JsonObject> RequestsContaining(string marker) =>
        [.. api.Llm.Requests.Select(r => r.Body).Where(b => b.ToJsonString().Contains(marker))];
}
