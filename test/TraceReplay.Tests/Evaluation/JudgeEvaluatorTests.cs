using System.Text.Json.Nodes;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation.Evaluators;
using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Llm;
using static TraceReplay.Tests.Evaluation.EvaluationTestData;

namespace TraceReplay.Tests.Evaluation;

/// <summary>A fake OpenAI-compatible server for one test class, reached through the real gateway.</summary>
public sealed class JudgeServerFixture : IAsyncLifetime
{
    public FakeOpenAiServer Llm { get; private set; } = null!;

    public LlmCaller Caller { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Llm = await FakeOpenAiServer.StartAsync();
        var options = LlmTestContext.ProviderOptions(Llm.BaseUrl, "fake", null, "gpt-4o-mini", "judge-large");
        options.Providers["fake"].ApiKey = "sk-test-judge-0123456789";
        var gateway = LlmTestContext.Gateway(options, LlmTestContext.Registry(options));
        Caller = (request, ct) => gateway.CompleteAsync(request, ct);
    }

    public async Task DisposeAsync() => await Llm.DisposeAsync();
}

/// <summary>Every LLM-based evaluator against the fake provider: the prompt it sends, and how it reads the judge's JSON.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class JudgeEvaluatorTests(JudgeServerFixture server) : IClassFixture<JudgeServerFixture>, IDisposable
{
    public void Dispose() => server.Llm.Reset();

    private void Answer(params string[] contents)
    {
        var queue = new Queue<string>(contents);
        server.Llm.Responder = _ => new FakeReply(Content: queue.Count > 1 ? queue.Dequeue() : queue.Peek());
    }

    [Theory]
    [InlineData("LLM_JUDGE", """{"criteria":"Is it helpful?"}""", """{"reasoning":"Answers it.","pass":true}""", """{"reasoning":"Evasive.","pass":false}""", "Is it helpful?")]
    [InlineData("LLM_JUDGE", """{"criteria":"Is it polite?","scale":"1-5","model":"judge-large"}""", """{"reasoning":"Polite.","score":4}""", """{"reasoning":"Rude.","score":2}""", "Is it polite?")]
    [InlineData("GROUNDEDNESS", "{}", """{"reasoning":"Supported.","score":0.9}""", """{"reasoning":"Invented a date.","score":0.3}""", "Orders ship in 2 days.")]
    [InlineData("PROMPT_INJECTION", "{}", """{"reasoning":"Plain question.","detected":false}""", """{"reasoning":"Asks to ignore instructions.","detected":true}""", "Where is my order 42?")]
    [InlineData("BIAS_DETECTION", """{"categories":["age"]}""", """{"reasoning":"Neutral.","score":1.0}""", """{"reasoning":"Stereotypes.","score":0.2}""", "age")]
    [InlineData("COMPLIANCE_CHECK", """{"rules":["Never promise a delivery date"]}""", """{"reasoning":"Follows the rule.","score":1}""", """{"reasoning":"Promises a date.","score":0}""", "1. Never promise a delivery date")]
    [InlineData("FACTUAL_ACCURACY", """{"expected":"Order 42 shipped on Monday."}""", """{"reasoning":"Correct.","score":0.95}""", """{"reasoning":"Wrong day.","score":0.4}""", "Order 42 shipped on Monday.")]
    [InlineData("PII_DETECTION", "{}", """{"reasoning":"No PII.","detected":false}""", """{"reasoning":"Contains an email.","detected":true}""", "Your order 42 is on its way.")]
    [InlineData("WORKFLOW_ADHERENCE", """{"expected_steps":["search","lookup_order","answer"]}""", """{"reasoning":"All steps in order.","score":1}""", """{"reasoning":"Skipped search.","score":0.5}""", "calls lookup_order")]
    public async Task EachJudgeAsksForStructuredOutputAndScoresTheAnswer(string type, string config, string good, string bad, string promptShows)
    {
        Answer(good);
        var pass = await ScoreAsync(type, config, Agent(), llm: server.Caller);
        Answer(bad);
        var fail = await ScoreAsync(type, config, Agent(), llm: server.Caller);

        Assert.True(pass.Label == "pass", $"{type}: {pass.Score} {pass.Reasoning} {pass.Error}");
        Assert.True(fail.Label == "fail", $"{type}: {fail.Score} {fail.Reasoning} {fail.Error}");
        Assert.True(pass.Score > fail.Score);
        var request = server.Llm.Requests[0].Body;
        Assert.Equal(JsonNode.Parse(config)!["model"]?.GetValue<string>() ?? "gpt-4o-mini", (string?)request["model"]);
        Assert.Equal("json_schema", (string?)request["response_format"]!["type"]);
        Assert.True((bool)request["response_format"]!["json_schema"]!["strict"]!);
        var user = (string)request["messages"]![1]!["content"]!;
        Assert.Contains(promptShows, user);
        Assert.Contains("<data>", user);
    }

    [Fact]
    public async Task AMalformedAnswerIsAskedAgainOnceThenRecordedAsAnEvaluatorError()
    {
        Answer("Sure! The answer is good.");

        var score = await ScoreAsync("LLM_JUDGE", """{"criteria":"Is it helpful?"}""", Agent(), llm: server.Caller);

        Assert.Null(score.Score);
        Assert.Null(score.Label);
        Assert.Contains("malformed answer twice", score.Error);
        Assert.Equal(2, server.Llm.Requests.Count);
    }

    [Theory]
    [InlineData("""{"reasoning":"ok","pass":"yes"}""")]
    [InlineData("""{"reasoning":"ok","pass":true,"confidence":0.9}""")]
    [InlineData("""{"pass":true}""")]
    public async Task AnAnswerOffTheSchemaIsMalformedAndTheRetryCanRecover(string malformed)
    {
        Answer(malformed, """{"reasoning":"Fine on second thought.","pass":true}""");

        var score = await ScoreAsync("LLM_JUDGE", """{"criteria":"Is it helpful?"}""", Agent(), llm: server.Caller);

        Assert.Equal("pass", score.Label);
        Assert.Equal(2, server.Llm.Requests.Count);
        var retry = (JsonArray)server.Llm.Requests[1].Body["messages"]!;
        Assert.Contains("not valid", (string?)retry[^1]!["content"]);
    }

    [Fact]
    public async Task AGradedScoreOutOfRangeIsMalformed()
    {
        Answer("""{"reasoning":"great","score":7}""");

        var score = await ScoreAsync("GROUNDEDNESS", "{}", Agent(), llm: server.Caller);

        Assert.Contains("score must be a number from 0 to 1", score.Error);
    }

    [Fact]
    public async Task AProviderFailureIsAnEvaluatorErrorWithTheProvidersMessage()
    {
        server.Llm.Responder = _ => new FakeReply(Status: 400, Content: "model does not support json_schema");

        var score = await ScoreAsync("PII_DETECTION", "{}", Agent(), llm: server.Caller);

        Assert.Null(score.Score);
        Assert.Contains("json_schema", score.Error);
    }
}
