using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using TraceReplay.Grains;
using TraceReplay.Silo;
using TraceReplay.Tests.Chained;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Llm;

namespace TraceReplay.Tests.Engine;

/// <summary>One in-process cluster with two providers over real HTTP: the OpenAI fake (GPT models) and the Anthropic fake (Claude).</summary>
public sealed class MultiProviderClusterFixture : IAsyncLifetime
{
    public const string AnthropicKey = "sk-ant-api03-cluster-test-key-0123456789";
    public const string Haiku = "claude-3-5-haiku-20241022";
    public const string Sonnet = "claude-3-5-sonnet-20241022";

    public FakeOpenAiServer OpenAi { get; private set; } = null!;

    public FakeAnthropicServer Anthropic { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        OpenAi = await FakeOpenAiServer.StartAsync();
        Anthropic = await FakeAnthropicServer.StartAsync();
        var settings = FakeLlmConfiguration.For(OpenAi);
        settings["TraceReplay:Llm:Providers:claude:Kind"] = "anthropic";
        settings["TraceReplay:Llm:Providers:claude:BaseUrl"] = Anthropic.BaseUrl;
        settings["TraceReplay:Llm:Providers:claude:ApiKey"] = AnthropicKey;
        settings["TraceReplay:Llm:Providers:claude:Models:0"] = Haiku;
        settings["TraceReplay:Llm:Providers:claude:Models:1"] = Sonnet;
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(settings));
        builder.ConfigureSilo((_, silo) => silo.AddTraceReplay());
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await OpenAi.DisposeAsync();
        await Anthropic.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class MultiProviderCollection : ICollectionFixture<MultiProviderClusterFixture>
{
    public const string Name = "multi-provider cluster";
}

/// <summary>GPT traces replayed on Claude and Claude traces on GPT, isolated and chained, through both official SDKs.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(MultiProviderCollection.Name)]
public sealed class CrossProviderReplayTests(MultiProviderClusterFixture fixture)
{
    private const string SonnetParameters = """{"max_tokens":512,"temperature":0.3}""";

    private async Task<(string TraceId, ReplaySnapshot Replay)> ReplayAsync(TraceIngest trace, ReplayOverrides overrides)
    {
        var traceId = "t-" + Guid.NewGuid().ToString("N");
        await fixture.Client.GetGrain<ITraceGrain>(traceId).IngestAsync(trace);
        var started = await fixture.Client.GetGrain<ITraceGrain>(traceId).StartReplayAsync(overrides);
        Assert.Null(started.Error);
        var replay = await Eventually.ReturnsAsync(
            async () => (await fixture.Client.GetGrain<IReplayGrain>(started.Replay!.Id).GetAsync())!,
            r => r.Status is ReplayStatus.Completed or ReplayStatus.Failed,
            TimeSpan.FromSeconds(60),
            "the replay to finish");
        Assert.True(replay.Status == ReplayStatus.Completed, replay.Error?.Message);
        return (traceId, replay);
    }

    private IReadOnlyList<FakeAnthropicRequest> AnthropicRequests(string marker) =>
        [.. fixture.Anthropic.Requests.Where(r => r.Body.ToJsonString().Contains(marker, StringComparison.Ordinal))];

    private IReadOnlyList<FakeRequest> OpenAiRequests(string marker) =>
        [.. fixture.OpenAi.Requests.Where(r => r.Body.ToJsonString().Contains(marker, StringComparison.Ordinal))];

    /// <summary>Claude deciding as the recording did, with its own tool_use ids; the step is the tool results it was given.</summary>
    private static FakeAnthropicReply? ClaudeAgreeing(JsonObject request, string marker)
    {
        if (!request.ToJsonString().Contains(marker, StringComparison.Ordinal))
        {
            return null;
        }

        var results = (request["messages"] as JsonArray ?? []).Sum(m => (m?["content"] as JsonArray ?? []).Count(b => (string?)b?["type"] == "tool_result"));
        return results switch
        {
            0 => new FakeAnthropicReply(ToolUses: [("toolu_a", "lookup_order", """{"order_id":"42"}""")]),
            1 => new FakeAnthropicReply(ToolUses: [("toolu_b", "cancel_order", """{"order_id":"42","reason":"customer request"}""")]),
            _ => new FakeAnthropicReply(Text: "Done: order 42 is cancelled."),
        };
    }

    [Fact]
    public async Task AGptAgentTraceWithTwoToolRoundsReplaysOnClaudeHaikuAndEveryRequestIsAValidMessagesRequest()
    {
        var marker = Guid.NewGuid().ToString("N");
        fixture.Anthropic.Responder = r => ClaudeAgreeing(r, marker);

        var (_, replay) = await ReplayAsync(AgentTraces.CancelOrder(marker), new ReplayOverrides(MultiProviderClusterFixture.Haiku, null, """{"seed":5}"""));

        var requests = AnthropicRequests(marker);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Null(r.ValidationError));
        Assert.All(requests, r => Assert.Equal(MultiProviderClusterFixture.AnthropicKey, r.ApiKey));
        Assert.All(requests, r => Assert.Equal("You are a support agent. Use tools.", (string?)r.Body["system"]));
        Assert.All(requests, r => Assert.Equal(256, (int)r.Body["max_tokens"]!));
        var step3 = requests.Single(r => r.Body["messages"]!.AsArray().Count == 5).Body;
        Assert.Equal("call_2", (string?)step3["messages"]![4]!["content"]![0]!["tool_use_id"]);

        Assert.Equal(new ReplayDecisions(3, 3), replay.Decisions);
        var dropped = replay.OverridesApplied.DroppedParameters;
        Assert.NotNull(dropped);
        Assert.Equal(["step1", "step2", "step3"], dropped.Select(d => d.SpanId).Order());
        Assert.All(dropped, d => Assert.Equal(["seed"], d.Parameters));

        var trace = await fixture.Client.GetGrain<ITraceGrain>(replay.ReplayTraceId!).GetAsync();
        var step1 = trace!.Spans.Single(s => s.ReplayOfSpanId == "step1");
        Assert.Equal(MultiProviderClusterFixture.Haiku, step1.Model);
        Assert.Equal("tool_use", (string?)JsonNode.Parse(step1.OutputJson!)!["content"]![0]!["type"]);
        Assert.NotNull(step1.Cost);
    }

    [Fact]
    public async Task AChainedGptTraceOnClaudeFeedsTheRecordedToolResultsBackAsToolResultBlocksForClaudesOwnToolUseIds()
    {
        var marker = Guid.NewGuid().ToString("N");
        fixture.Anthropic.Responder = r => ClaudeAgreeing(r, marker);

        var (_, replay) = await ReplayAsync(
            AgentTraces.CancelOrder(marker), new ReplayOverrides(MultiProviderClusterFixture.Haiku, null, null, ReplayMode.Chained));

        Assert.Null(replay.Divergence);
        var requests = AnthropicRequests(marker);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Null(r.ValidationError));
        var last = requests[^1].Body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user", "assistant", "user"], last.Select(m => (string?)m!["role"]));
        Assert.Equal("toolu_a", (string?)last[1]!["content"]![0]!["id"]);
        Assert.Equal("toolu_a", (string?)last[2]!["content"]![0]!["tool_use_id"]);
        Assert.Equal(AgentTraces.LookupResult, (string?)last[2]!["content"]![0]!["content"]);
        Assert.Equal("toolu_b", (string?)last[4]!["content"]![0]!["tool_use_id"]);
        Assert.Equal(AgentTraces.CancelResult, (string?)last[4]!["content"]![0]!["content"]);
        Assert.Equal(new ReplayDecisions(3, 3), replay.Decisions);
    }

    [Fact]
    public async Task AClaudeTraceRecordedInAnthropicFormatReplaysOnGptFourOMiniAsValidChatCompletionsRequests()
    {
        var marker = Guid.NewGuid().ToString("N");
        fixture.OpenAi.Responder = r => AgentTraces.Agreeing(r, marker);

        var (_, replay) = await ReplayAsync(ClaudeAgent(marker), new ReplayOverrides("gpt-4o-mini", null, null));

        var requests = OpenAiRequests(marker);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => AssertValidChatCompletion(r.Body));
        var step3 = requests.Single(r => r.Body["messages"]!.AsArray().Count == 6).Body;
        Assert.Equal(["system", "user", "assistant", "tool", "assistant", "tool"], step3["messages"]!.AsArray().Select(m => (string?)m!["role"]));
        Assert.Equal("toolu_1", (string?)step3["messages"]![2]!["tool_calls"]![0]!["id"]);
        Assert.Equal("toolu_1", (string?)step3["messages"]![3]!["tool_call_id"]);
        Assert.Equal(512, (int)step3["max_completion_tokens"]!);
        Assert.Equal("object", (string?)step3["tools"]![0]!["function"]!["parameters"]!["type"]);
        Assert.Equal(new ReplayDecisions(3, 3), replay.Decisions);

        var trace = await fixture.Client.GetGrain<ITraceGrain>(replay.ReplayTraceId!).GetAsync();
        var step1 = trace!.Spans.Single(s => s.ReplayOfSpanId == "step1");
        Assert.Equal("lookup_order", (string?)JsonNode.Parse(step1.OutputJson!)!["tool_calls"]![0]!["function"]!["name"]);
    }

    [Fact]
    public async Task AChainedClaudeTraceOnGptFeedsTheRecordedToolResultsBackAsToolMessagesForGptsOwnCallIds()
    {
        var marker = Guid.NewGuid().ToString("N");
        fixture.OpenAi.Responder = r => AgentTraces.Agreeing(r, marker);

        var (_, replay) = await ReplayAsync(ClaudeAgent(marker), new ReplayOverrides("gpt-4o-mini", null, null, ReplayMode.Chained));

        Assert.Null(replay.Divergence);
        var requests = OpenAiRequests(marker);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => AssertValidChatCompletion(r.Body));
        var last = requests[^1].Body["messages"]!.AsArray();
        Assert.Equal("new_1", (string?)last[2]!["tool_calls"]![0]!["id"]);
        Assert.Equal("new_1", (string?)last[3]!["tool_call_id"]);
        Assert.Equal(AgentTraces.LookupResult, (string?)last[3]!["content"]);
        Assert.Equal("new_2", (string?)last[5]!["tool_call_id"]);
        Assert.Equal(AgentTraces.CancelResult, (string?)last[5]!["content"]);
        Assert.Equal(new ReplayDecisions(3, 3), replay.Decisions);
    }

    [Fact]
    public async Task AClaudeTraceReplayedOnClaudeSendsTheRecordedRequestsByteForByteApartFromTheModel()
    {
        var marker = Guid.NewGuid().ToString("N");
        var trace = ClaudeAgent(marker);

        var (_, replay) = await ReplayAsync(trace, new ReplayOverrides(MultiProviderClusterFixture.Haiku, null, null));

        var requests = AnthropicRequests(marker);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Null(r.ValidationError));
        foreach (var span in trace.Spans.Where(s => s.Type == SpanType.Llm))
        {
            var expected = JsonNode.Parse(span.InputJson!)!.AsObject();
            expected["model"] = MultiProviderClusterFixture.Haiku;
            Assert.Contains(requests, r => ChatTranslatorTests.Canonical(r.Body) == ChatTranslatorTests.Canonical(expected));
        }

        Assert.Null(replay.OverridesApplied.DroppedParameters);
        var replayTrace = await fixture.Client.GetGrain<ITraceGrain>(replay.ReplayTraceId!).GetAsync();
        var step3 = replayTrace!.Spans.Single(s => s.ReplayOfSpanId == "step3");
        Assert.Equal("text", (string?)JsonNode.Parse(step3.OutputJson!)!["content"]![0]!["type"]);
    }

    /// <summary>What OpenAI would refuse: Anthropic fields, a tool message that answers no preceding tool call.</summary>
    private static void AssertValidChatCompletion(JsonObject body)
    {
        Assert.False(body.ContainsKey("system"));
        Assert.False(body.ContainsKey("stop_sequences"));
        Assert.All(body["tools"]?.AsArray() ?? [], t => Assert.Equal("function", (string?)t!["type"]));
        var open = new HashSet<string>();
        foreach (var message in body["messages"]!.AsArray().OfType<JsonObject>())
        {
            var role = (string?)message["role"];
            Assert.Contains(role, new[] { "system", "user", "assistant", "tool" });
            Assert.False(message["content"] is JsonArray blocks && blocks.Any(b => (string?)b?["type"] is "tool_use" or "tool_result"));
            if (role == "tool")
            {
                Assert.True(open.Remove((string)message["tool_call_id"]!), $"tool message {message.ToJsonString()} answers no open tool call");
                continue;
            }

            Assert.Empty(open);
            foreach (var call in message["tool_calls"]?.AsArray() ?? [])
            {
                open.Add((string)call!["id"]!);
                Assert.IsType<string>((string?)call["function"]!["arguments"]);
            }
        }
    }

    /// <summary>The support agent recorded from the Anthropic SDK: top-level system, tool_use / tool_result blocks.</summary>
    private static TraceIngest ClaudeAgent(string marker)
    {
        var tools = JsonNode.Parse("""
            [{"name":"lookup_order","input_schema":{"type":"object","properties":{"order_id":{"type":"string"}}}},
             {"name":"cancel_order","input_schema":{"type":"object","properties":{"order_id":{"type":"string"},"reason":{"type":"string"}}}}]
            """)!;
        var user = new JsonObject { ["role"] = "user", ["content"] = $"[{marker}] Please cancel order 42." };
        var use1 = Use("toolu_1", "lookup_order", """{"order_id":"42"}""");
        var use2 = Use("toolu_2", "cancel_order", """{"order_id":"42","reason":"customer request"}""");
        var result1 = Result("toolu_1", AgentTraces.LookupResult);
        var result2 = Result("toolu_2", AgentTraces.CancelResult);
        string Input(params JsonNode[] messages) => new JsonObject
        {
            ["model"] = MultiProviderClusterFixture.Sonnet,
            ["max_tokens"] = 512,
            ["temperature"] = 0.3,
            ["system"] = "You are a support agent. Use tools.",
            ["tools"] = tools.DeepClone(),
            ["messages"] = new JsonArray([.. messages.Select(m => m.DeepClone())]),
        }.ToJsonString();
        var answer = new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = AgentTraces.FinalAnswer }) };

        SpanData Llm(string id, int start, int end, string input, JsonNode output) =>
            SampleTraces.Llm(id, "root", start, end, input, output.ToJsonString(), MultiProviderClusterFixture.Sonnet, SonnetParameters);
        SpanData Tool(string id, string name, int start, int end, string input, string output) =>
            SampleTraces.Other(id, "root", SpanType.Tool, start, end, input, output) with { Name = name };

        return new TraceIngest(SampleTraces.Header("claude-cancel-agent"), [
            SampleTraces.Other("root", null, SpanType.Agent, 0, 4000, $"\"[{marker}] Please cancel order 42.\"", $"\"{AgentTraces.FinalAnswer}\""),
            Llm("step1", 100, 1000, Input(user), use1),
            Tool("t1", "lookup_order", 1000, 1200, """{"order_id":"42"}""", AgentTraces.LookupResult),
            Llm("step2", 1200, 2200, Input(user, use1, result1), use2),
            Tool("t2", "cancel_order", 2200, 2500, """{"order_id":"42","reason":"customer request"}""", AgentTraces.CancelResult),
            Llm("step3", 2500, 3900, Input(user, use1, result1, use2, result2), answer),
        ]);

        static JsonObject Use(string id, string name, string input) => new()
        {
            ["role"] = "assistant",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_use", ["id"] = id, ["name"] = name, ["input"] = JsonNode.Parse(input) }),
        };

        static JsonObject Result(string id, string content) => new()
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = id, ["content"] = content }),
        };
    }
}
