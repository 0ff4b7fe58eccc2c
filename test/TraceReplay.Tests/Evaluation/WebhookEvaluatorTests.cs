using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TraceReplay.Grains;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Evaluation.EvaluationTestData;

namespace TraceReplay.Tests.Evaluation;

/// <summary>A real HTTP endpoint on 127.0.0.1 that answers webhook evaluations as a test scripts it.</summary>
public sealed class WebhookServer : IAsyncLifetime
{
    private WebApplication _app = null!;

    public string Url { get; private set; } = "";

    public List<(JsonObject Body, string? Authorization)> Received { get; } = [];

    public Func<int, (int Status, string Body)> Reply { get; set; } = _ => (200, """{"score":1,"pass":true,"reason":"ok"}""");

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/score", async (HttpContext context) =>
        {
            var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
            int attempt;
            lock (Received)
            {
                Received.Add((body, context.Request.Headers.Authorization.FirstOrDefault()));
                attempt = Received.Count;
            }

            var (status, text) = Reply(attempt);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(text);
        });
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/') + "/score";
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>WEBHOOK against a real HTTP server started by the test.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class WebhookEvaluatorTests(WebhookServer server) : IClassFixture<WebhookServer>, IDisposable
{
    public void Dispose()
    {
        server.Received.Clear();
        server.Reply = _ => (200, """{"score":1,"pass":true,"reason":"ok"}""");
    }

    private string Config(int retries = 1) => $$"""{"url":"{{server.Url}}","headers":{"Authorization":"Bearer hook-secret"},"timeoutMs":2000,"retries":{{retries}}}""";

    [Fact]
    public async Task AWebhookAnswerLargerThan64KiBIsAnEvaluatorErrorNotAScore()
    {
        server.Reply = _ => (200, $$"""{"score":1,"pass":true,"reason":"{{new string('x', 1024 * 1024)}}"}""");

        var score = await ScoreAsync("WEBHOOK", Config(retries: 0), Agent("Your order shipped."));

        Assert.Null(score.Score);
        Assert.Null(score.Reasoning);
        Assert.Contains("larger than 64 KiB", score.Error);
    }

    [Fact]
    public async Task AWebhookReasonIsCutTo4KiB()
    {
        server.Reply = _ => (200, $$"""{"score":0.5,"reason":"{{new string('x', 20_000)}}"}""");

        var score = await ScoreAsync("WEBHOOK", Config(retries: 0), Agent("Your order shipped."));

        Assert.Equal(0.5, score.Score);
        Assert.Equal(TraceScore.MaxReasoningLength, score.Reasoning!.Length);
        Assert.EndsWith("…", score.Reasoning);
    }

    [Fact]
    public async Task TheWebhookReceivesTheTraceAndItsVerdictBecomesTheScore()
    {
        server.Reply = _ => (200, """{"score":0.85,"pass":true,"reason":"Looks good"}""");

        var score = await ScoreAsync("WEBHOOK", Config(), Agent("Your order shipped."), expected: "It shipped.");

        Assert.Equal(0.85, score.Score);
        Assert.Equal("pass", score.Label);
        Assert.Equal("Looks good", score.Reasoning);
        var (body, authorization) = Assert.Single(server.Received);
        Assert.Equal("Bearer hook-secret", authorization);
        Assert.Equal("t-eval", (string?)body["traceId"]);
        Assert.Equal("root", (string?)body["spanId"]);
        Assert.Equal("Your order shipped.", (string?)body["output"]);
        Assert.Contains("order 42", (string?)body["input"]);
        Assert.Equal("It shipped.", (string?)body["expectedOutput"]);
        Assert.Equal("test", (string?)body["metadata"]!["env"]);
    }

    [Fact]
    public async Task AFailingVerdictIsRecordedAsFail()
    {
        server.Reply = _ => (200, """{"score":0.1,"pass":false,"reason":"Off topic"}""");

        var score = await ScoreAsync("WEBHOOK", Config(), Agent());

        Assert.Equal(0.1, score.Score);
        Assert.Equal("fail", score.Label);
    }

    [Fact]
    public async Task AServerErrorIsRetriedAndTheRetryCounts()
    {
        server.Reply = attempt => attempt == 1 ? (503, "{}") : (200, """{"score":1,"pass":true}""");

        var score = await ScoreAsync("WEBHOOK", Config(retries: 2), Agent());

        Assert.Equal("pass", score.Label);
        Assert.Equal(2, server.Received.Count);
    }

    [Fact]
    public async Task AnAnswerWithoutAValidScoreIsAnEvaluatorError()
    {
        server.Reply = _ => (200, """{"score":3,"pass":true}""");

        var score = await ScoreAsync("WEBHOOK", Config(retries: 0), Agent());

        Assert.Null(score.Score);
        Assert.Contains("score", score.Error);
    }

    [Fact]
    public async Task PersistentServerErrorsBecomeAnEvaluatorErrorAfterTheRetries()
    {
        server.Reply = _ => (500, "{}");

        var score = await ScoreAsync("WEBHOOK", Config(retries: 1), Agent());

        Assert.Null(score.Score);
        Assert.Contains("500", score.Error);
        Assert.Equal(2, server.Received.Count);
    }
}
