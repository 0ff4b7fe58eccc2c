using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;

namespace TraceReplay.Api.Demo;

/// <summary>
/// Loads a few demo traces at start-up so a fresh clone has something to replay: a support agent with retrieval,
/// a tool call and two LLM calls (the first rendered from a template that has two versions), a summarizer and a
/// JSON classifier. Idempotent: fixed ids, and the template versions are created once. With
/// <see cref="DemoOptions.Story"/> it then runs <see cref="DemoStory"/> in the background (evaluators first, so every
/// demo trace is scored), which ends in a finished demo sweep with a verdict.
/// </summary>
public sealed partial class DemoDataSeeder(
    IClusterClient grains, IOptions<ApiOptions> options, IOptions<DemoOptions> demo, DemoStory story, StartupBanner banner, TimeProvider time,
    IConfiguration configuration, ILogger<DemoDataSeeder> logger)
    : IHostedService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stopping = new();
    private Task _story = Task.CompletedTask;

    public const string TemplateName = "support-system";
    public const string AgentTraceId = "demo-support-agent";
    public const string SummarizerTraceId = "demo-summarizer";
    public const string ClassifierTraceId = "demo-classifier";

    private const string TemplateV1 = "You are a support assistant for {{company}}. Answer in a {{tone}} tone and use the tools you are given.";
    private const string TemplateV2 = "You are {{company}}'s support assistant. Be {{tone}} and concise: at most three sentences. Always confirm the order status with a tool before answering.";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // TraceReplay:Api:SeedDemoData is the older switch; either turns the demo off.
        if (!options.Value.SeedDemoData || !demo.Value.Enabled)
        {
            return;
        }

        // In the Client role the API starts before (or without) the cluster: seed once a gateway answers, until stopped.
        while (ApiClusterHosting.Role(configuration) == ApiRole.Client)
        {
            try
            {
                await SeedAsync();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }

        await SeedAsync();
    }

    private async Task SeedAsync()
    {
        if (demo.Value.Story)
        {
            // Before any demo trace: a trace is scored by the evaluators enabled when it is created.
            await story.EnsureEvaluatorsAsync();
        }

        var template = grains.GetGrain<IPromptTemplateGrain>($"{TraceReplayNames.DefaultProject}/{TemplateName}");
        var versions = await template.GetVersionsAsync();
        if (versions.Count == 0)
        {
            await template.CreateVersionAsync(new NewPromptTemplateVersion(TemplateV1, null, "System prompt of the support agent", "First version"));
            await template.CreateVersionAsync(new NewPromptTemplateVersion(TemplateV2, null, "System prompt of the support agent", "Shorter answers, always check the order"));
            versions = await template.GetVersionsAsync();
        }

        var now = time.GetUtcNow();
        await IngestAsync(AgentTraceId, SupportAgent(now.AddMinutes(-30), versions[0].Id));
        await IngestAsync(SummarizerTraceId, Summarizer(now.AddMinutes(-20)));
        await IngestAsync(ClassifierTraceId, Classifier(now.AddMinutes(-10)));
        if (demo.Value.Story)
        {
            _story = RunStoryAsync(banner.Expect(), _stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _story.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunStoryAsync(IDisposable bannerExpected, CancellationToken cancellationToken)
    {
        // Off the start-up path: the host answers while the demo traces are ingested and the sweep starts.
        await Task.Yield();
        using var expectation = bannerExpected;
        try
        {
            await story.SeedAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogStoryFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The demo story (evaluators, demo traces, demo sweep) could not be loaded; the rest of the host is unaffected")]
    private static partial void LogStoryFailed(ILogger logger, Exception exception);

    private Task IngestAsync(string traceId, (TraceHeader Header, SpanData[] Spans) trace) =>
        grains.GetGrain<ITraceGrain>(TraceKeys.For(TraceReplayNames.DefaultProject, traceId)).IngestAsync(new TraceIngest(trace.Header, trace.Spans));

    private static (TraceHeader, SpanData[]) SupportAgent(DateTimeOffset t, string templateVersionId)
    {
        const string question = "Hi, my order 1234 arrived damaged. Can I get a refund?";
        const string answer = "I'm sorry your order arrived damaged! Order 1234 was delivered on Monday, and damaged items qualify for a full refund within 30 days. I've started the refund; you'll see it within 5 business days.";
        var system = $"You are a support assistant for Acme. Answer in a friendly tone and use the tools you are given.";
        var tools = new JsonArray(new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject
            {
                ["name"] = "lookup_order",
                ["description"] = "Look up an order by id",
                ["parameters"] = JsonNode.Parse("""{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}"""),
            },
        });
        var toolCall = JsonNode.Parse("""{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":\"1234\"}"}}]}""")!;
        const string policy = "Damaged items can be refunded in full within 30 days of delivery. Refunds take up to 5 business days.";
        const string order = """{"order_id":"1234","status":"delivered","delivered_at":"Monday","items":["kettle"]}""";
        var firstMessages = new JsonArray(Message("system", system), Message("user", question));
        var secondMessages = new JsonArray(
            Message("system", system), Message("user", question), toolCall.DeepClone(),
            new JsonObject { ["role"] = "tool", ["tool_call_id"] = "call_1", ["content"] = order },
            Message("system", "Relevant policy: " + policy));
        var variables = """{"company":"Acme","tone":"friendly"}""";

        return (new TraceHeader("support-agent", """{"environment":"demo","version":"2.1"}""", ["demo", "production"], t),
        [
            Span("agent", null, "support-agent", SpanType.Agent, t, 0, 4200, Json(new JsonObject { ["question"] = question }), Json(JsonValue.Create(answer))),
            Span("retrieve", "agent", "search-knowledge-base", SpanType.Retrieval, t, 50, 350, """{"query":"refund damaged item"}""", Json(new JsonObject { ["docs"] = new JsonArray(policy) })),
            Span("plan", "agent", "decide-next-step", SpanType.Llm, t, 400, 1600, Json(new JsonObject { ["messages"] = firstMessages, ["tools"] = tools.DeepClone() }), toolCall.ToJsonString()) with
            {
                Model = "gpt-4o", ModelParametersJson = """{"temperature":0.7,"max_tokens":400}""", PromptTokens = 182, CompletionTokens = 21,
                PromptTemplateVersionId = templateVersionId, PromptVariablesJson = variables,
            },
            Span("tool", "agent", "lookup_order", SpanType.Tool, t, 1650, 1900, """{"order_id":"1234"}""", order),
            Span("answer", "agent", "write-answer", SpanType.Llm, t, 1950, 4150, Json(new JsonObject { ["messages"] = secondMessages, ["tools"] = tools.DeepClone() }), Json(JsonValue.Create(answer))) with
            {
                Model = "gpt-4o", ModelParametersJson = """{"temperature":0.7,"max_tokens":400}""", PromptTokens = 311, CompletionTokens = 52,
            },
        ]);
    }

    private static (TraceHeader, SpanData[]) Summarizer(DateTimeOffset t)
    {
        const string article = "The city council approved a new bike lane network on Tuesday. Construction starts in spring and will add 40 km of protected lanes over two years, funded by a regional transport grant.";
        const string summary = "The council approved 40 km of protected bike lanes, built over two years from spring with a regional grant.";
        return (new TraceHeader("summarizer", """{"environment":"demo"}""", ["demo"], t),
        [
            Span("root", null, "summarize-article", SpanType.Chain, t, 0, 1300, Json(new JsonObject { ["article"] = article }), Json(JsonValue.Create(summary))),
            Span("llm", "root", "summarize", SpanType.Llm, t, 20, 1280, Json(new JsonArray(Message("system", "Summarize the article in one sentence."), Message("user", article))), Json(JsonValue.Create(summary))) with
            {
                Model = "gpt-4o-mini", ModelParametersJson = """{"temperature":0.2}""", PromptTokens = 64, CompletionTokens = 27,
            },
        ]);
    }

    private static (TraceHeader, SpanData[]) Classifier(DateTimeOffset t)
    {
        const string ticket = "I was charged twice for my subscription this month.";
        const string label = """{"category":"billing","urgency":"high"}""";
        return (new TraceHeader("ticket-classifier", """{"environment":"demo"}""", ["demo", "production"], t),
        [
            Span("root", null, "classify-ticket", SpanType.Chain, t, 0, 900, Json(new JsonObject { ["ticket"] = ticket }), label),
            Span("llm", "root", "classify", SpanType.Llm, t, 10, 890, Json(new JsonObject
            {
                ["messages"] = new JsonArray(Message("system", "Classify the support ticket. Answer in JSON with category and urgency."), Message("user", ticket)),
                ["response_format"] = new JsonObject { ["type"] = "json_object" },
            }), Json(JsonValue.Create(label))) with
            {
                Model = "gpt-4o-mini", ModelParametersJson = """{"temperature":0}""", PromptTokens = 48, CompletionTokens = 12,
            },
        ]);
    }

    private static SpanData Span(string id, string? parent, string name, SpanType type, DateTimeOffset t, int startMs, int endMs, string? input, string? output) =>
        new(id, parent, name, type, t.AddMilliseconds(startMs), t.AddMilliseconds(endMs), input, output, null, null, null, null, null, SpanStatus.Ok, null);

    private static JsonObject Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    private static string Json(JsonNode? node) => node?.ToJsonString() ?? "null";
}
