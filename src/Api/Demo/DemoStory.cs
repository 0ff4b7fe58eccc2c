using System.Text.Json.Nodes;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Api.Demo;

/// <summary>
/// The demo that tells the story: evaluators first, then 50 traces of two agents (scored as they are created), then a
/// real sweep that replays them with gpt-4o-mini — served by the simulator when no provider key is set, whose answers
/// drop the concrete timeline the recorded answers give, so the rule evaluator shows a significant regression. Every
/// step is idempotent (evaluators by name, fixed trace and sweep ids), so a restart on PostgreSQL adds nothing.
/// </summary>
public sealed partial class DemoStory(
    IClusterClient grains, ITraceCatalog catalog, StartupBanner banner, TimeProvider time, ILogger<DemoStory> logger)
{
    public const string SweepId = "swp_demo";
    public const string Tag = "demo";
    public const int TracesPerAgent = 25;
    public const string TimelineEvaluator = "demo: states a timeline";
    public const string SimilarityEvaluator = "demo: similar to the original";
    public const string JudgeEvaluator = "demo: judge — resolves the request";

    private const string Project = TraceReplayNames.DefaultProject;

    private static readonly string[] _items = ["kettle", "toaster", "desk lamp", "backpack", "headphones", "coffee grinder", "blender", "monitor stand"];
    private static readonly string[] _problems = ["arrived damaged", "never arrived", "is the wrong colour", "stopped working after a week", "was missing a part"];
    private static readonly string[] _billing = ["I was charged twice this month", "my invoice shows the wrong plan", "I cancelled but was still billed", "my card was declined but money left my account", "I need a refund for an unused seat"];

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        await EnsureEvaluatorsAsync();
        var now = time.GetUtcNow();
        for (var i = 0; i < TracesPerAgent; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await IngestAsync($"demo-support-{i:00}", SupportTrace(i, now.AddHours(-2 * i - 1)));
            await IngestAsync($"demo-billing-{i:00}", BillingTrace(i, now.AddHours(-2 * i - 2)));
        }

        await StartSweepAsync(now);

        // The banner again, last: the demo's own logs came after the first one.
        var sweep = grains.GetGrain<ISweepGrain>(SweepId);
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromMinutes(3); waited += TimeSpan.FromSeconds(1))
        {
            if ((await sweep.GetAsync())?.CompletedAt is not null && await ReplaysScoredAsync(sweep))
            {
                banner.Print(headline:
                    $"Demo ready: sweep {SweepId} replayed the demo traces with gpt-4o-mini; its verdict is on the Sweeps page. " +
                    "Try: dotnet run --project src/Cli -- sweep --filter tag=demo --fail-on-regression");
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
        }
    }

    /// <summary>Creates the demo evaluators that do not exist yet (by name).</summary>
    public async Task EnsureEvaluatorsAsync()
    {
        var registry = grains.GetGrain<IEvaluatorRegistryGrain>(Project);
        var existing = (await registry.ListAsync()).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        NewEvaluator[] evaluators =
        [
            new(TimelineEvaluator, "REGEX", """{"pattern":"\\b\\d+ (business )?days?\\b","flags":"i"}""", true),
            new(SimilarityEvaluator, "SIMILARITY", """{"threshold":0.5}""", true),
            new(JudgeEvaluator, "LLM_JUDGE", """{"criteria":"Does the answer resolve the customer's request and give a concrete next step with a timeline?","scale":"pass_fail"}""", true),
        ];
        foreach (var evaluator in evaluators.Where(e => !existing.Contains(e.Name)))
        {
            if ((await registry.CreateAsync(evaluator)).Error is { } error)
            {
                throw new InvalidOperationException($"demo evaluator '{evaluator.Name}': {error.Message}");
            }
        }
    }

    /// <summary>Whether every replay trace of the sweep has been scored, so its results show the verdict.</summary>
    private async Task<bool> ReplaysScoredAsync(ISweepGrain sweep)
    {
        var entries = await sweep.GetEntriesAsync() ?? [];
        var statuses = await Task.WhenAll(entries.Where(e => e.ReplayTraceId is not null)
            .Select(e => grains.GetGrain<ITraceGrain>(TraceKeys.For(Project, e.ReplayTraceId!)).GetEvaluationStatusAsync()));
        return statuses.All(s => s.Pending.Count == 0);
    }

    private async Task StartSweepAsync(DateTimeOffset now)
    {
        var sweep = grains.GetGrain<ISweepGrain>(SweepId);
        if (await sweep.GetAsync() is not null)
        {
            return;
        }

        var filter = new SweepFilter(null, null, [Tag], null, null, null, 200);
        var (targets, error) = await SweepTraceResolver.ResolveAsync(filter, Project, catalog);
        if (error is not null || targets.Count == 0)
        {
            throw new InvalidOperationException($"the demo sweep found no traces: {error}");
        }

        await sweep.StartAsync(new SweepDefinition(
            "demo: gpt-4o → gpt-4o-mini", Project, targets, new ReplayOverrides("gpt-4o-mini", null, null), null, null, 0.1, null, now,
            filter.Describe(), Prices: await grains.GetGrain<IModelCatalogGrain>(0).SnapshotAsync(["gpt-4o-mini"], now)));
        LogSweepStarted(logger, SweepId, targets.Count);
    }

    private Task IngestAsync(string traceId, TraceIngest trace) =>
        grains.GetGrain<ITraceGrain>(TraceKeys.For(Project, traceId)).IngestAsync(trace);

    private static TraceIngest SupportTrace(int i, DateTimeOffset t)
    {
        var item = _items[i % _items.Length];
        var problem = _problems[i % _problems.Length];
        var order = 4100 + (i * 37);
        var question = $"Hi, my order {order} ({item}) {problem}. What can you do?";
        var days = 3 + (i % 5);
        var answer = $"I'm sorry about your {item}. I've opened a replacement for order {order}; it ships today and arrives within {days} business days. " +
            "You don't need to return the original.";
        return Agent("support-agent", t, i, "You are Acme's support assistant. Be friendly, confirm the order and always give a timeline.", question, answer, 150 + (i % 7) * 9, 40 + (i % 5) * 4);
    }

    private static TraceIngest BillingTrace(int i, DateTimeOffset t)
    {
        var issue = _billing[i % _billing.Length];
        var amount = 9 + (i * 3 % 40);
        var question = $"Hello, {issue}. The amount is ${amount}.";
        var days = 5 + (i % 6);
        var answer = $"Thanks for flagging this. I've refunded ${amount} to your original payment method; it will show within {days} days. " +
            "Your plan is unchanged.";
        return Agent("billing-assistant", t, i, "You are Acme's billing assistant. Fix the charge if you can and say when the money arrives.", question, answer, 120 + (i % 6) * 11, 35 + (i % 4) * 5);
    }

    private static TraceIngest Agent(string name, DateTimeOffset t, int i, string system, string question, string answer, int promptTokens, int completionTokens)
    {
        var duration = 900 + (i * 53 % 700);
        var messages = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = system },
            new JsonObject { ["role"] = "user", ["content"] = question });
        var header = new TraceHeader(name, """{"environment":"demo","demo":true}""", [Tag, name], t);
        SpanData[] spans =
        [
            new("root", null, name, SpanType.Agent, t, t.AddMilliseconds(duration + 40),
                new JsonObject { ["question"] = question }.ToJsonString(), JsonValue.Create(answer).ToJsonString(),
                null, null, null, null, null, SpanStatus.Ok, null),
            new("llm", "root", "answer", SpanType.Llm, t.AddMilliseconds(20), t.AddMilliseconds(duration + 20),
                new JsonObject { ["messages"] = messages }.ToJsonString(), JsonValue.Create(answer).ToJsonString(),
                null, null, null, null, null, SpanStatus.Ok, null)
            {
                Model = "gpt-4o", ModelParametersJson = """{"temperature":0.3}""", PromptTokens = promptTokens, CompletionTokens = completionTokens,
            },
        ];
        return new TraceIngest(header, spans);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo sweep {SweepId} started over {Traces} demo traces")]
    private static partial void LogSweepStarted(ILogger logger, string sweepId, int traces);
}
