using System.Text.Json.Nodes;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Replays;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Engine;

/// <summary>The replay engine on a one-silo test cluster against the fake OpenAI-compatible server.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ClusterCollection.Name)]
public sealed class ReplayEngineTests : IDisposable
{
    private readonly ClusterFixture _fixture;
    private readonly string _tag = FakeOpenAiServer.NewTag();

    public ReplayEngineTests(ClusterFixture fixture)
    {
        _fixture = fixture;
        _fixture.Llm.Reset();
        _fixture.Llm.Delay = TimeSpan.Zero;
    }

    public void Dispose() => _fixture.Llm.Reset();

    private ITraceGrain Trace(string id) => _fixture.Client.GetGrain<ITraceGrain>(id);

    private async Task<ReplaySnapshot> StartAsync(string traceId, ReplayOverrides? overrides = null)
    {
        var result = await Trace(traceId).StartReplayAsync(overrides ?? ReplayOverrides.None);
        Assert.Null(result.Error);
        return result.Replay!;
    }

    [Fact]
    public async Task TheProviderReceivesTheRecordedRequestWithOnlyTheOverridesApplied()
    {
        var traceId = await _fixture.IngestAsync(SampleTraces.Agent(tag: _tag));
        var trace = (await Trace(traceId).GetAsync())!;
        var overrides = new ReplayOverrides("gpt-4.1-mini", null, """{"temperature":0}""");
        var expected = ReplayPlanner.Plan(trace, overrides, TemplateContext.Empty).Calls
            .Select(c => JsonNode.Parse(c.Request.RequestBodyJson)!).ToList();

        var replay = await _fixture.WaitForReplayAsync((await StartAsync(traceId, overrides)).Id);

        Assert.Equal(ReplayStatus.Completed, replay.Status);
        var sent = _fixture.Llm.Tagged(_tag).Select(r => r.Body).ToList();
        Assert.Equal(expected.Count, sent.Count);
        foreach (var body in expected)
        {
            Assert.Contains(sent, s => JsonNode.DeepEquals(s, body));
        }

        Assert.All(sent, s => Assert.Equal("gpt-4.1-mini", (string?)s["model"]));
        Assert.All(_fixture.Llm.Tagged(_tag), r => Assert.Equal($"Bearer {FakeLlmConfiguration.ApiKey}", r.Authorization));
    }

    [Fact]
    public async Task AtMostThreeLlmCallsRunPerSiloAndExactlyThreeAtSaturation()
    {
        _fixture.Llm.Delay = TimeSpan.FromMilliseconds(150);
        var traces = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            traces.Add(await _fixture.IngestAsync(SampleTraces.Chain(5, tag: _tag)));
        }

        var replays = await Task.WhenAll(traces.Select(t => StartAsync(t)));
        var finished = await Task.WhenAll(replays.Select(r => _fixture.WaitForReplayAsync(r.Id, TimeSpan.FromMinutes(2))));

        Assert.All(finished, r => Assert.Equal(ReplayStatus.Completed, r.Status));
        Assert.Equal(100, _fixture.Llm.Tagged(_tag).Count);
        Assert.Equal(LlmSpanWorker.ActivationsPerSilo, _fixture.Llm.MaxConcurrent);
    }

    [Fact]
    public async Task AHundredReplaysQueuedAtOnceAgainstATwoSecondLlmAllComplete()
    {
        _fixture.Llm.Delay = TimeSpan.FromSeconds(2);
        var traces = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            traces.Add(await _fixture.IngestAsync(SampleTraces.Chain(1, tag: _tag)));
        }

        var replays = await Task.WhenAll(traces.Select(t => StartAsync(t)));
        Assert.All(replays, r => Assert.Equal(ReplayStatus.Pending, r.Status));

        // 100 two-second calls through 3 slots take about 67 s: far past Orleans' 30 s response timeout.
        var finished = await Task.WhenAll(replays.Select(r => _fixture.WaitForReplayAsync(r.Id, TimeSpan.FromMinutes(3))));

        Assert.All(finished, r => Assert.Equal(ReplayStatus.Completed, r.Status));
        Assert.Equal(100, _fixture.Llm.Tagged(_tag).Count);
        Assert.True(_fixture.Llm.MaxConcurrent <= LlmSpanWorker.ActivationsPerSilo);
    }

    [Fact]
    public async Task ToolAndRetrievalSpansAreCopiedAndTheRootCarriesTheReplayedAnswer()
    {
        var traceId = await _fixture.IngestAsync(SampleTraces.Agent(tag: _tag));
        var source = (await Trace(traceId).GetAsync())!;

        var replay = await _fixture.WaitForReplayAsync((await StartAsync(traceId, new ReplayOverrides("gpt-4o-mini", null, null))).Id);
        var copy = (await Trace(replay.ReplayTraceId!).GetAsync())!;

        Assert.Equal(new TraceLineage(traceId, replay.Id), copy.ReplayOf);
        Assert.Equal(source.Spans.Count, copy.Spans.Count);
        foreach (var original in source.Spans.Where(s => s.Type is SpanType.Tool or SpanType.Retrieval))
        {
            var replayed = copy.Spans.Single(s => s.ReplayOfSpanId == original.Id);
            Assert.Equal((original.Name, original.Type, original.InputJson, original.OutputJson, original.MetadataJson, original.DurationMs),
                (replayed.Name, replayed.Type, replayed.InputJson, replayed.OutputJson, replayed.MetadataJson, replayed.DurationMs));
        }

        var answer = copy.Spans.Single(s => s.ReplayOfSpanId == "answer");
        var root = copy.Spans.Single(s => s.ReplayOfSpanId == "root");
        Assert.StartsWith("\"fake answer from gpt-4o-mini", answer.OutputJson);
        Assert.True(answer.OutputJson == root.OutputJson, $"root {root.OutputJson} answer {answer.OutputJson}");
        Assert.Equal(copy.Spans.Single(s => s.ReplayOfSpanId == "root").Id, answer.ParentSpanId);
        Assert.All(copy.Spans.Where(s => s.Type == SpanType.Llm), s => Assert.Equal("gpt-4o-mini", s.Model));
    }

    [Fact]
    public async Task ReplayCostUsesTheNewModelsPriceAndIsUnknownForAnUnpricedModel()
    {
        var priced = await _fixture.WaitForReplayAsync((await StartAsync(await _fixture.IngestAsync(SampleTraces.Chain(1, tag: _tag)), new ReplayOverrides("gpt-4o-mini", null, null))).Id);
        var unpriced = await _fixture.WaitForReplayAsync((await StartAsync(await _fixture.IngestAsync(SampleTraces.Chain(1, tag: _tag)), new ReplayOverrides("unpriced-model", null, null))).Id);

        var pricedSpan = (await Trace(priced.ReplayTraceId!).GetAsync())!.Spans.Single(s => s.Type == SpanType.Llm);
        Assert.Equal((pricedSpan.PromptTokens!.Value * 0.15m + pricedSpan.CompletionTokens!.Value * 0.6m) / 1_000_000m, pricedSpan.Cost);
        Assert.Equal(pricedSpan.Cost, priced.Result!.TotalCost);

        var unpricedSpan = (await Trace(unpriced.ReplayTraceId!).GetAsync())!.Spans.Single(s => s.Type == SpanType.Llm);
        Assert.Equal(ReplayStatus.Completed, unpriced.Status);
        Assert.Null(unpricedSpan.Cost);
        Assert.Null(unpriced.Result!.TotalCost);
        Assert.True(unpriced.Result.TotalTokens > 0);
    }

    [Fact]
    public async Task AFailingProviderFailsTheReplayWithItsReasonAndTouchesNothingElse()
    {
        var failing = await _fixture.IngestAsync(SampleTraces.Chain(2));
        var healthy = await _fixture.IngestAsync(SampleTraces.Chain(2));
        var before = (await Trace(failing).GetAsync())!;
        _fixture.Llm.Responder = body => (string?)body["model"] == "gpt-4.1-mini"
            ? new FakeReply(Status: 500, Body: new JsonObject { ["error"] = new JsonObject { ["message"] = "model overloaded", ["type"] = "server_error" } })
            : null;

        var bad = await _fixture.WaitForReplayAsync((await StartAsync(failing, new ReplayOverrides("gpt-4.1-mini", null, null))).Id);
        var good = await _fixture.WaitForReplayAsync((await StartAsync(healthy, new ReplayOverrides("gpt-4o-mini", null, null))).Id);

        Assert.Equal(ReplayStatus.Failed, bad.Status);
        Assert.Equal(500, bad.Error!.ProviderStatus);
        Assert.Contains("model overloaded", bad.Error.Message);
        Assert.DoesNotContain(FakeLlmConfiguration.ApiKey, bad.Error.Message);
        Assert.Null(bad.ReplayTraceId);
        Assert.NotNull(bad.CompletedAt);
        Assert.Equal(ReplayStatus.Completed, good.Status);
        var after = (await Trace(failing).GetAsync())!;
        Assert.Equal(before.Spans, after.Spans);
        var history = await Trace(failing).GetReplaysAsync();
        Assert.Equal(ReplayStatus.Failed, Assert.Single(history).Status);
    }

    [Fact]
    public async Task AReplayMakesExactlyOneTraceWhenRestartedOrReactivated()
    {
        _fixture.Llm.Delay = TimeSpan.FromMilliseconds(300);
        var traceId = await _fixture.IngestAsync(SampleTraces.Chain(3, tag: _tag));
        var started = await StartAsync(traceId);
        var grain = _fixture.Client.GetGrain<IReplayGrain>(started.Id);

        // Deactivate while calls are in flight; the next call reactivates it and it carries on.
        await Eventually.ReturnsAsync(() => Task.FromResult(_fixture.Llm.Tagged(_tag).Count), n => n > 0, TimeSpan.FromSeconds(10), "the first LLM call");
        await _fixture.Cluster.DeactivateAsync(grain);
        var done = await _fixture.WaitForReplayAsync(started.Id);
        var callsSoFar = _fixture.Llm.Tagged(_tag).Count;

        var source = (await Trace(traceId).GetAsync())!;
        var again = (await grain.StartAsync(new ReplayStart(source, ReplayOverrides.None, DateTimeOffset.UtcNow))).Replay!;
        await _fixture.Cluster.DeactivateAsync(grain);
        var reread = await _fixture.WaitForReplayAsync(started.Id);

        Assert.Equal(ReplayStatus.Completed, done.Status);
        Assert.Equal(done.ReplayTraceId, again.ReplayTraceId);
        Assert.Equal(done, reread);
        Assert.Equal(callsSoFar, _fixture.Llm.Tagged(_tag).Count);
        Assert.Equal(ReplayTraceBuilder.TraceIdFor(started.Id), done.ReplayTraceId);
        var copy = (await Trace(done.ReplayTraceId!).GetAsync())!;
        Assert.Equal(4, copy.Spans.Count);
        Assert.Equal(3, copy.Spans.Count(s => s.Type == SpanType.Llm));
    }
}
