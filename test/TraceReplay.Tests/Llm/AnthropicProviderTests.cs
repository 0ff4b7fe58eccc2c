using System.Diagnostics;
using System.Text.Json.Nodes;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Llm;

/// <summary>The Anthropic provider: the official SDK over real HTTP to a fake Messages API that validates like the real one.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class AnthropicProviderTests : IAsyncLifetime
{
    private const string Key = "sk-ant-api03-test-anthropic-key-0123456789";
    private const string Model = "claude-3-5-haiku-20241022";

    private FakeAnthropicServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAnthropicServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ModelPriceTable Prices() => new(
        [new ModelPrice("gpt-4o", "openai", 2.5m, 10m), new ModelPrice(Model, "anthropic", 0.8m, 4m)],
        new Dictionary<string, ModelPriceOverride>());

    private LlmGateway Gateway(out LlmProviderRegistry registry)
    {
        var options = LlmTestContext.ProviderOptions("http://unused.invalid/v1", "unused", null, "other-model");
        options.Providers.Clear();
        registry = LlmTestContext.Registry(options, Prices(), new Dictionary<string, string>
        {
            [LlmProviderRegistry.AnthropicApiKeyVariable] = Key,
            [LlmProviderRegistry.AnthropicBaseUrlVariable] = _server.BaseUrl,
        });
        return LlmTestContext.Gateway(options, registry);
    }

    [Fact]
    public void AnthropicApiKeyServesEveryClaudeModelOfThePriceTableThroughTheAnthropicProvider()
    {
        Gateway(out var registry);

        var route = registry.Find(Model);
        Assert.NotNull(route);
        Assert.Equal(LlmProviderKinds.Anthropic, route.Kind);
        Assert.Equal("anthropic", route.ProviderName);
        Assert.Null(registry.Find("gpt-4o"));
        Assert.Equal("anthropic", registry.Catalog.Single(m => m.Name == Model).ServedByKind);
    }

    [Fact]
    public void AProviderConfiguredWithKindAnthropicServesItsModels()
    {
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl, "claude-proxy", null, "my-claude");
        options.Providers["claude-proxy"].Kind = "anthropic";

        var registry = LlmTestContext.Registry(options, Prices());

        Assert.Equal(LlmProviderKinds.Anthropic, registry.Find("my-claude")?.Kind);
        Assert.Equal(LlmWireFormat.Anthropic, registry.Find("my-claude")?.WireFormat);
    }

    [Fact]
    public async Task AnOpenAiRecordedCallIsSentAsAValidMessagesRequestWithTheConfiguredKeyAndItsUsageIsCounted()
    {
        var gateway = Gateway(out _);
        var body = """{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],"temperature":1.5,"seed":4}""";

        var result = await gateway.CompleteAsync(new LlmCallRequest(Model, body));

        Assert.True(result.Succeeded, result.ErrorMessage);
        var request = Assert.Single(_server.Requests);
        Assert.Null(request.ValidationError);
        Assert.Equal(Key, request.ApiKey);
        Assert.NotNull(request.Version);
        Assert.Equal(Model, (string?)request.Body["model"]);
        Assert.Equal("Be brief.", (string?)request.Body["system"]);
        Assert.Equal(1.0, (double)request.Body["temperature"]!);
        Assert.Equal(LlmWireFormat.Anthropic, result.Format);
        Assert.Equal(["seed"], result.DroppedParameters);
        Assert.Equal((100, 20), (result.PromptTokens, result.CompletionTokens));
        Assert.Equal(Model, result.ResponseModel);
        var message = JsonNode.Parse(result.MessageJson!)!;
        Assert.Equal("assistant", (string?)message["role"]);
        Assert.Equal($"fake claude answer from {Model}", (string?)message["content"]![0]!["text"]);
        Assert.Equal(0.00016m, Prices().Cost(Model, result.PromptTokens, result.CompletionTokens));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(529)]
    public async Task ARateLimitOrOverloadWithRetryAfterIsWaitedForAndRetried(int status)
    {
        var gateway = Gateway(out _);
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? new FakeAnthropicReply(status, "slow down", RetryAfterSeconds: 1) : null;
        var started = Stopwatch.GetTimestamp();

        var result = await gateway.CompleteAsync(new LlmCallRequest(Model, """{"messages":[{"role":"user","content":"hi"}],"max_tokens":10}""", LlmWireFormat.Anthropic));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, _server.Requests.Count);
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(0.95));
        Assert.True(result.WaitMs >= 950, $"wait {result.WaitMs} ms");
        Assert.Equal(status == 429 ? 1 : 0, result.Throttled);
    }

    [Fact]
    public async Task WithoutAnAnthropicKeyTheSimulatorAnswersAClaudeRecordingWrittenInAnthropicFormat()
    {
        var options = new LlmOptions();
        var registry = LlmTestContext.Registry(options, Prices());
        var gateway = LlmTestContext.Gateway(options, registry);
        var body = """
            {"model":"claude-3-5-haiku-20241022","max_tokens":64,"top_k":5,"system":"Be brief.",
             "messages":[{"role":"user","content":"Order 42?"},
                         {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"lookup_order","input":{"order_id":"42"}}]},
                         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"shipped"}]}]}
            """;

        var result = await gateway.CompleteAsync(new LlmCallRequest(Model, body, LlmWireFormat.Anthropic));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.True(result.Simulated);
        Assert.Equal(LlmProviderKinds.Simulator, registry.Find(Model)?.Kind);
        Assert.Equal(["top_k"], result.DroppedParameters);
    }

    [Fact]
    public async Task AnAttemptThatOutlivesTheAttemptTimeoutIsRetried()
    {
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl, "claude", null, Model);
        options.Providers["claude"].Kind = "anthropic";
        options.Providers["claude"].ApiKey = Key;
        options.AttemptTimeout = TimeSpan.FromSeconds(2);
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options, Prices()));
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? new FakeAnthropicReply(Delay: TimeSpan.FromSeconds(30)) : null;

        var result = await gateway.CompleteAsync(new LlmCallRequest(Model, """{"messages":[{"role":"user","content":"hi"}]}""", LlmWireFormat.Anthropic));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(2, result.Attempts);
        Assert.True(result.WaitMs >= 1900, $"wait {result.WaitMs} ms");
    }

    [Fact]
    public async Task AnAuthenticationErrorFailsWithItsStatusAndMessageAndNeverShowsTheKey()
    {
        var gateway = Gateway(out _);
        _server.Responder = _ => new FakeAnthropicReply(401, $"invalid x-api-key {Key}");

        var result = await gateway.CompleteAsync(new LlmCallRequest(Model, """{"messages":[{"role":"user","content":"hi"}]}""", LlmWireFormat.Anthropic));

        Assert.False(result.Succeeded);
        Assert.Equal(401, result.ErrorStatus);
        Assert.Single(_server.Requests);
        Assert.Contains("invalid x-api-key", result.ErrorMessage);
        Assert.DoesNotContain(Key, result.ErrorMessage);
        Assert.DoesNotContain("0123456789", result.ErrorMessage);
    }

    [Fact]
    public async Task ARecordedAnthropicRequestWithParametersTheApiRefusesIsSentWithoutThemInsteadOfFailingWith400()
    {
        var gateway = Gateway(out _);
        var body = """{"model":"claude-3-5-haiku-20241022","max_tokens":20,"messages":[{"role":"user","content":"hi"}],"seed":1,"presence_penalty":0.2}""";

        var result = await gateway.CompleteAsync(new LlmCallRequest(Model, body, LlmWireFormat.Anthropic));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Null(Assert.Single(_server.Requests).ValidationError);
        Assert.Equal(["presence_penalty", "seed"], result.DroppedParameters!.Order());
    }
}

/// <summary>Azure OpenAI is configuration: a deployment per model, the api-key header and an api-version.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class AzureOpenAiProviderTests : IAsyncLifetime
{
    private const string Key = "azure-test-key-0123456789abcdef";

    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AnAzureProviderCallsTheModelsDeploymentWithTheApiKeyHeaderAndApiVersion()
    {
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl.Replace("/v1", string.Empty, StringComparison.Ordinal), "azure", null, "unused");
        var azure = options.Providers["azure"];
        azure.Kind = "azure-openai";
        azure.ApiKey = Key;
        azure.ApiVersion = "2024-10-21";
        azure.Models = [];
        azure.Deployments["gpt-4o-mini"] = "mini-prod";
        var registry = LlmTestContext.Registry(options);
        var gateway = LlmTestContext.Gateway(options, registry);

        var result = await gateway.CompleteAsync(new LlmCallRequest("gpt-4o-mini", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.True(result.Succeeded, result.ErrorMessage);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/openai/deployments/mini-prod/chat/completions?api-version=2024-10-21", request.PathAndQuery);
        Assert.Equal(Key, request.ApiKey);
        Assert.Null(request.Authorization);
        Assert.Equal(LlmProviderKinds.AzureOpenAi, registry.Find("gpt-4o-mini")?.Kind);
        Assert.Null(registry.Find("gpt-4o"));
    }
}
