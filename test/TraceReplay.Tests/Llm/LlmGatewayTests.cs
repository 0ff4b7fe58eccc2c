using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Llm;

[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class LlmGatewayTests : IAsyncLifetime
{
    private const string Key = "sk-test-gateway-key-0123456789";
    private const string KeyVariable = "TRACEREPLAY_TEST_LOCAL_KEY";

    private static readonly Dictionary<string, string> Environment = new() { [KeyVariable] = Key };

    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TheRecordedBodyArrivesUnchangedExceptForTheModel()
    {
        var recorded = JsonNode.Parse("""
            {
              "model": "gpt-4o",
              "messages": [
                { "role": "system", "content": "You are terse." },
                { "role": "user", "content": [
                    { "type": "text", "text": "What is in this image, and what is the weather?" },
                    { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low" } } ] },
                { "role": "assistant", "content": null, "tool_calls": [
                    { "id": "call_1", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } } ] },
                { "role": "tool", "tool_call_id": "call_1", "content": "{\"temp\":21}" },
                { "role": "user", "content": "Summarise." }
              ],
              "tools": [ { "type": "function", "function": { "name": "get_weather", "description": "Weather by city",
                "parameters": { "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] } } } ],
              "tool_choice": { "type": "function", "function": { "name": "get_weather" } },
              "response_format": { "type": "json_schema", "json_schema": { "name": "answer", "strict": true,
                "schema": { "type": "object", "properties": { "text": { "type": "string" } } } } },
              "temperature": 0.2,
              "max_tokens": 64,
              "seed": 7
            }
            """)!.AsObject();
        var gateway = Gateway();

        var result = await gateway.CompleteAsync(new LlmCallRequest("local-model", recorded.ToJsonString()));

        var expected = recorded.DeepClone().AsObject();
        expected["model"] = "local-model";
        var sent = Assert.Single(_server.Requests).Body;
        Assert.True(JsonNode.DeepEquals(expected, sent), $"sent: {sent.ToJsonString()}");

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.False(result.Simulated);
        Assert.Equal(1, result.Attempts);
        Assert.Equal("local-model", result.ResponseModel);
        var message = JsonNode.Parse(result.MessageJson!)!;
        Assert.Equal("assistant", message["role"]!.GetValue<string>());
        Assert.Equal("fake answer from local-model to: Summarise.", message["content"]!.GetValue<string>());
        Assert.True(result.PromptTokens > 0);
        Assert.Equal(11, result.CompletionTokens);
        Assert.True(result.LatencyMs > 0);
    }

    [Fact]
    public async Task AnAnswerWithToolCallsKeepsTheWholeAssistantMessage()
    {
        var toolCalls = JsonNode.Parse("""
            [ { "id": "call_9", "type": "function", "function": { "name": "lookup", "arguments": "{\"q\":\"x\"}" } } ]
            """)!.AsArray();
        _server.Responder = _ => new FakeReply(ToolCalls: toolCalls);

        var result = await Gateway().CompleteAsync(Request("Look it up."));

        Assert.True(result.Succeeded, result.ErrorMessage);
        var message = JsonNode.Parse(result.MessageJson!)!;
        Assert.True(JsonNode.DeepEquals(toolCalls, message["tool_calls"]));
        Assert.Null(message["content"]);
    }

    [Fact]
    public async Task TheAuthorizationHeaderCarriesTheKeyFromTheConfiguredEnvironmentVariable()
    {
        var variable = $"TRACEREPLAY_TEST_KEY_{Guid.NewGuid():N}";
        System.Environment.SetEnvironmentVariable(variable, Key);
        try
        {
            var options = LlmTestContext.ProviderOptions(_server.BaseUrl, apiKeyVariable: variable);
            var registry = new LlmProviderRegistry(Options.Create(options), LlmTestContext.Prices("gpt-4o"));

            var result = await LlmTestContext.Gateway(options, registry).CompleteAsync(Request("Hello"));

            Assert.True(result.Succeeded, result.ErrorMessage);
            Assert.Equal($"Bearer {Key}", Assert.Single(_server.Requests).Authorization);
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task ALocalProviderWithoutAKeyGetsAPlaceholderKey()
    {
        var result = await Gateway(apiKeyVariable: null).CompleteAsync(Request("Hello"));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal("Bearer not-needed", Assert.Single(_server.Requests).Authorization);
    }

    [Fact]
    public async Task TheOpenAiApiWithoutAKeyFailsClearlyWithoutCallingIt()
    {
        var options = new LlmOptions();
        options.Providers["openai"] = new LlmProviderOptions { Models = ["gpt-4o"] };
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options));

        var result = await gateway.CompleteAsync(new LlmCallRequest("gpt-4o", """{"messages":[]}"""));

        Assert.False(result.Succeeded);
        Assert.Null(result.ErrorStatus);
        Assert.Contains("OPENAI_API_KEY", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerErrorFollowedBySuccessIsRetriedAndSucceedsOnTheSecondAttempt()
    {
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? new FakeReply(500, Content: "temporary") : null;

        var result = await Gateway().CompleteAsync(Request("Hello"));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, _server.Requests.Count);
        Assert.True(result.WaitMs >= 0);
    }

    [Fact]
    public async Task TooManyRequestsWithRetryAfterOneSecondWaitsASecondBeforeRetrying()
    {
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? new FakeReply(429, RetryAfterSeconds: 1) : null;

        var result = await Gateway().CompleteAsync(Request("Hello"));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(2, result.Attempts);
        var requests = _server.Requests;
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(950),
            $"retried after {(requests[1].ReceivedAt - requests[0].ReceivedAt).TotalMilliseconds} ms");
        Assert.True(result.WaitMs >= 900, $"WaitMs {result.WaitMs}");
    }

    [Fact]
    public async Task APermanentServerErrorFailsAfterMaxRetriesPlusOneAttemptsWithoutShowingTheKey()
    {
        _server.Responder = body => new FakeReply(503, Content: "upstream overloaded (key sk-test-gateway-key-0123456789)");
        var gateway = Gateway();

        var result = await gateway.CompleteAsync(Request("Hello"));

        Assert.False(result.Succeeded);
        Assert.Equal(503, result.ErrorStatus);
        Assert.Equal(3, result.Attempts);
        Assert.Equal(3, _server.Requests.Count);
        Assert.StartsWith("provider local returned 503: upstream overloaded", result.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientErrorIsNotRetried()
    {
        _server.Responder = _ => new FakeReply(400, Content: "Invalid 'messages': empty.");

        var result = await Gateway().CompleteAsync(Request("Hello"));

        Assert.Equal(400, result.ErrorStatus);
        Assert.Equal("provider local returned 400: Invalid 'messages': empty.", result.ErrorMessage);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task AnUnreachableProviderFailsWithoutAStatus()
    {
        var baseUrl = _server.BaseUrl;
        await _server.DisposeAsync();
        _server = await FakeOpenAiServer.StartAsync();

        var result = await Gateway(baseUrl: baseUrl).CompleteAsync(Request("Hello"));

        Assert.False(result.Succeeded);
        Assert.Null(result.ErrorStatus);
        Assert.Contains("provider local", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(3, result.Attempts);
    }

    [Fact]
    public async Task AModelNobodyServesFailsListingTheServedModels()
    {
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl, "local", KeyVariable, "local-a", "local-b");
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options, environment: Environment));

        var result = await gateway.CompleteAsync(new LlmCallRequest("mystery-model", """{"messages":[]}"""));

        Assert.False(result.Succeeded);
        Assert.Null(result.ErrorStatus);
        Assert.Equal("no provider serves model 'mystery-model'. Served models: local-a, local-b.", result.ErrorMessage);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task AnAttemptThatOutlivesTheAttemptTimeoutIsRetriedThenFailsWithoutAStatus()
    {
        _server.Delay = TimeSpan.FromSeconds(5);
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl, "local", KeyVariable);
        options.AttemptTimeout = TimeSpan.FromMilliseconds(300);
        options.Retry.MaxRetries = 1;
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options, environment: Environment));

        var result = await gateway.CompleteAsync(Request("Hello"));

        Assert.False(result.Succeeded);
        Assert.Null(result.ErrorStatus);
        Assert.Equal(2, result.Attempts);
        Assert.Contains("provider local", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("timeout", result.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AnAttemptTimeoutIsRetriedOnlyOnceWhateverTheRetryBudget()
    {
        _server.Delay = TimeSpan.FromSeconds(5);
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl, "local", KeyVariable);
        options.AttemptTimeout = TimeSpan.FromMilliseconds(300);
        options.Retry.MaxRetries = 3;
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options, environment: Environment));

        var result = await gateway.CompleteAsync(Request("Hello"));

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task ACallEndsAtTheCallTimeoutWithTheReason()
    {
        _server.Delay = TimeSpan.FromSeconds(30);
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl, "local", KeyVariable);
        options.AttemptTimeout = TimeSpan.FromSeconds(20);
        options.CallTimeout = TimeSpan.FromMilliseconds(500);
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options, environment: Environment));

        var result = await gateway.CompleteAsync(Request("Hello"));

        Assert.False(result.Succeeded);
        Assert.Null(result.ErrorStatus);
        Assert.Contains("did not answer within the call timeout", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void ByDefaultACallGivesUpWithin120SecondsAndAnAttemptFitsInIt()
    {
        var options = new LlmOptions();

        Assert.True(options.CallTimeout <= TimeSpan.FromSeconds(120));
        Assert.True(options.AttemptTimeout * 2 <= options.CallTimeout);
    }

    [Fact]
    public async Task ARetryAfterBeyondTheTotalDelayBudgetIsNotWaitedFor()
    {
        _server.Responder = _ => new FakeReply(429, Content: "slow down", RetryAfterSeconds: 2);
        var options = LlmTestContext.ProviderOptions(_server.BaseUrl, "local", KeyVariable);
        options.Retry.MaxTotalDelay = TimeSpan.FromSeconds(1);
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options, environment: Environment));

        var result = await gateway.CompleteAsync(Request("Hello"));

        Assert.Equal(429, result.ErrorStatus);
        Assert.Equal(1, result.Attempts);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ACallerCancellationIsNotTurnedIntoAFailure()
    {
        _server.Delay = TimeSpan.FromSeconds(5);
        using var cancellation = new CancellationTokenSource();
        var call = Gateway().CompleteAsync(Request("Hello"), cancellation.Token);
        await _server.WaitForRequestsAsync(1, TimeSpan.FromSeconds(5));

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ConcurrentCallsToOneProviderRunInParallel()
    {
        _server.Delay = TimeSpan.FromMilliseconds(300);
        var gateway = Gateway();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => gateway.CompleteAsync(Request($"Question {i}"))));

        Assert.All(results, r => Assert.True(r.Succeeded, r.ErrorMessage));
        Assert.Equal(4, _server.MaxConcurrent);
        Assert.Equal(0, _server.InFlight);
    }

    [Fact]
    public void AddLlmGatewayResolvesTheGatewayWithOptionsFromConfiguration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["TraceReplay:Llm:Providers:vllm:BaseUrl"] = "http://localhost:8000/v1",
                ["TraceReplay:Llm:Providers:vllm:Models:0"] = "llama-3-8b",
                ["TraceReplay:Llm:Retry:MaxRetries"] = "5",
            })
            .Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddLlmGateway()
            .BuildServiceProvider();

        Assert.NotNull(services.GetRequiredService<LlmGateway>());
        Assert.Equal(5, services.GetRequiredService<IOptions<LlmOptions>>().Value.Retry.MaxRetries);
        Assert.Equal("vllm", services.GetRequiredService<LlmProviderRegistry>().Find("llama-3-8b")?.ProviderName);
    }

    [Fact]
    public void ScrubbingRemovesTheKeyAndAnythingShapedLikeASecretKey()
    {
        var scrubbed = LlmGateway.Scrub("bad key abc-123-secret and sk-proj-ABCDEFGHIJKLMNOP", "abc-123-secret");

        Assert.Equal("bad key *** and sk-***", scrubbed);
    }

    private LlmGateway Gateway(string? apiKeyVariable = KeyVariable, string? baseUrl = null)
    {
        var options = LlmTestContext.ProviderOptions(baseUrl ?? _server.BaseUrl, "local", apiKeyVariable);
        return LlmTestContext.Gateway(options, LlmTestContext.Registry(options, environment: Environment));
    }

    private static LlmCallRequest Request(string userText) => new(
        "local-model",
        new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = userText }) }.ToJsonString());
}
