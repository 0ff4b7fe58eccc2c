using TraceReplay.Grains;
using TraceReplay.Grains.Templates;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>
/// A budget is a hard cap where the replayed prompts are longer than the recorded ones: in chained mode (a later call
/// carries the earlier calls' replayed answers) and with a template override (the re-rendered prompt). The fake counts
/// a token per four characters of every message, as a provider bills the prompt it was sent.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class BudgetCapTests : IDisposable
{
    private const decimal Budget = 0.0018m;
    private readonly ClusterFixture _fixture;

    public BudgetCapTests(ClusterFixture fixture)
    {
        _fixture = fixture;
        _fixture.Llm.Reset();
    }

    public void Dispose() => _fixture.Llm.Reset();

    /// <summary>Prose of <paramref name="chars"/> characters: one word repeated (" the" is one token of four characters).</summary>
    private static string Words(int chars, string word = "the") =>
        string.Join(' ', Enumerable.Repeat(word, chars / (word.Length + 1) + 1))[..chars];

    private static int FakeTokens(params string[] contents) => (contents.Sum(c => c.Length) + 3) / 4;

    /// <summary>
    /// A three-turn conversation: each turn's input repeats the earlier questions and answers. Recorded answers are
    /// 200 tokens; the replay may answer with 400 (the budget's completion cap), which the next turns then carry.
    /// </summary>
    private static TraceIngest Conversation(string marker)
    {
        var system = $"[{marker}] " + Words(400);
        string[] questions = [.. Enumerable.Range(1, 3).Select(i => $"question {i}: " + Words(20))];
        string[] answers = [.. Enumerable.Range(1, 3).Select(i => $"answer {i}: " + Words(790))];
        var spans = new List<SpanData> { SampleTraces.Other("root", null, SpanType.Chain, 0, 4000, "\"go\"", "\"done\"") };
        var history = new List<(string Role, string Content)> { ("system", system) };
        for (var i = 0; i < 3; i++)
        {
            history.Add(("user", questions[i]));
            spans.Add(SampleTraces.Llm($"turn{i}", "root", i * 1000 + 10, i * 1000 + 900, SampleTraces.Messages([.. history]),
                $"\"{answers[i]}\"", "gpt-4o-mini", parameters: null) with
            {
                PromptTokens = FakeTokens([.. history.Select(m => m.Content)]),
                CompletionTokens = FakeTokens(answers[i]),
            });
            history.Add(("assistant", answers[i]));
        }

        return new TraceIngest(SampleTraces.Header("conversation"), spans);
    }

    private async Task<(SweepSnapshot Sweep, IReadOnlyList<SweepEntry> Entries)> RunAsync(IReadOnlyList<string> traceIds, ReplayOverrides overrides)
    {
        var sweepId = "swp_" + Guid.NewGuid().ToString("N");
        var targets = traceIds.Select(id => new SweepTarget(id, "trace", SampleTraces.Start, null, null)).ToList();
        var sweep = _fixture.Client.GetGrain<ISweepGrain>(sweepId);
        await sweep.StartAsync(new SweepDefinition(
            "budget cap", TraceReplayNames.DefaultProject, targets, overrides, 2, Budget, 0.1, null, DateTimeOffset.UtcNow, "test"));
        var ended = await Eventually.ReturnsAsync(async () => (await sweep.GetAsync())!, s => s.CompletedAt is not null, TimeSpan.FromSeconds(90), $"sweep {sweepId} to end");
        return (ended, (await sweep.GetEntriesAsync())!);
    }

    private static void AssertWithinBudget(SweepSnapshot sweep, IReadOnlyList<SweepEntry> entries)
    {
        Assert.True(sweep.Counts.Completed >= 1, $"completed {sweep.Counts.Completed}: {sweep.StopReason}");
        Assert.Equal(0, sweep.Counts.Failed);
        Assert.True(sweep.SpendUsd <= Budget, $"spent {sweep.SpendUsd} of {Budget}");
        Assert.All(entries.Where(e => e.Status == SweepTraceStatus.Completed),
            e => Assert.True(e.Cost <= e.EstimatedCost, $"replay {e.ReplayId} cost {e.Cost}, over its reservation {e.EstimatedCost}"));
    }

    [Fact]
    public async Task InChainedModeABudgetReservesTheEarlierAnswersALaterPromptCarriesAndIsNeverPassed()
    {
        var marker = "chain-" + Guid.NewGuid().ToString("N")[..8];
        // Every turn answers with far more than recorded; the fake stops at the request's token limit.
        _fixture.Llm.Responder = request => request["messages"]!.ToJsonString().Contains(marker, StringComparison.Ordinal)
            ? new FakeReply(Content: Words(8000, "zz"))
            : null;
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await _fixture.IngestAsync(Conversation(marker)));
        }

        var (sweep, entries) = await RunAsync(ids, new ReplayOverrides("gpt-4o-mini", null, null, ReplayMode.Chained));

        AssertWithinBudget(sweep, entries);
        // The later turns really carried the longer answers: the budget was kept against prompts past the recording.
        var third = _fixture.Llm.Requests.Where(r => r.Body["messages"]!.AsArray().Count == 6).ToList();
        Assert.NotEmpty(third);
        Assert.All(third, r => Assert.Contains(Words(40, "zz"), r.Body["messages"]![2]!["content"]!.GetValue<string>()));
    }

    [Fact]
    public async Task WithATemplateOverrideABudgetReservesTheRenderedPromptAndIsNeverPassed()
    {
        var name = "tpl-" + Guid.NewGuid().ToString("N")[..8];
        var template = PromptTemplateLookup.GetTemplate(_fixture.Client, TraceReplayNames.DefaultProject, name);
        var v1 = (await template.CreateVersionAsync(new NewPromptTemplateVersion("Be {{tone}}.", null, null, "short"))).Version!;
        var v2 = (await template.CreateVersionAsync(new NewPromptTemplateVersion("Be {{tone}}. " + Words(6000, "do"), null, null, "long"))).Version!;
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var span = SampleTraces.Llm("l0", "root", 10, 900, SampleTraces.Messages(("system", "Be kind."), ("user", $"question {i}")),
                "\"" + Words(80, "ans") + "\"", "gpt-4o-mini", parameters: null) with
            {
                PromptTemplateVersionId = v1.Id, PromptVariablesJson = """{"tone":"kind"}""", PromptTokens = 5, CompletionTokens = 20,
            };
            ids.Add(await _fixture.IngestAsync(new TraceIngest(SampleTraces.Header("templated"),
                [SampleTraces.Other("root", null, SpanType.Chain, 0, 1000, "\"go\"", "\"done\""), span])));
        }

        var (sweep, entries) = await RunAsync(ids, new ReplayOverrides("gpt-4o-mini", v2.Id, null));

        AssertWithinBudget(sweep, entries);
        Assert.All(_fixture.Llm.Requests, r => Assert.StartsWith("Be kind. do do", r.Body["messages"]![0]!["content"]!.GetValue<string>()));
    }
}
