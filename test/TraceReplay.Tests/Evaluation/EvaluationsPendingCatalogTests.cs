using TraceReplay.Grains;
using TraceReplay.Grains.Traces;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Postgres;

namespace TraceReplay.Tests.Evaluation;

/// <summary>The catalog's "evaluations pending" flag, which evaluation recovery scans: the same in memory and in PostgreSQL.</summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class EvaluationsPendingCatalogTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Default = TraceReplayNames.DefaultProject;

    [PostgresFact]
    public Task TheInMemoryCatalogListsPendingTracesOldestFirstUntilMarkedEvaluated() =>
        AssertPendingEvaluationsAsync(new InMemoryTraceCatalog());

    [PostgresFact]
    public async Task ThePostgresCatalogListsPendingTracesOldestFirstUntilMarkedEvaluated()
    {
        await using var test = await TestPostgres.CreateCatalogAsync();
        if (test is null)
        {
            return;
        }

        await AssertPendingEvaluationsAsync(test.Catalog);
    }

    private static async Task AssertPendingEvaluationsAsync(ITraceCatalog catalog)
    {
        TraceCatalogRow[] rows =
        [
            Row(Default, "a", minute: 3, pending: true),
            Row("other", "b", minute: 1, pending: true),
            Row(Default, "c", minute: 2, pending: false),
            Row(Default, "f", minute: 2, pending: true),
            Row(Default, "d", minute: 2, pending: true),
            // Ordinal order puts "Zeta" before "alpha", whatever the database's collation.
            Row("alpha", "y", minute: 2, pending: true),
            Row("Zeta", "z", minute: 2, pending: true),
            Row(Default, "e", minute: 10, pending: true),
        ];
        await Task.WhenAll(rows.Select(r => catalog.UpsertAsync(r)));
        var cutoff = T0.AddMinutes(5);

        string[] oldestFirst = ["other/b", "Zeta/z", "alpha/y", $"{Default}/d", $"{Default}/f", $"{Default}/a"];
        Assert.Equal(oldestFirst, Keys(await catalog.PendingEvaluationsAsync(cutoff, 100)));
        Assert.Equal(T0.AddMinutes(1), (await catalog.PendingEvaluationsAsync(cutoff, 1))[0].CreatedAt);

        // Pages of two split the traces created in the same minute, and the keyset continues after each page.
        var pages = new List<string>();
        PendingEvaluation? after = null;
        while (await catalog.PendingEvaluationsAsync(cutoff, 2, after) is { Count: > 0 } page)
        {
            Assert.True(page.Count <= 2);
            pages.AddRange(Keys(page));
            after = page[^1];
        }

        Assert.Equal(oldestFirst, pages);

        await catalog.MarkEvaluatedAsync(Default, "d");
        await catalog.MarkEvaluatedAsync(Default, "unknown");
        await catalog.MarkEvaluatedAsync(Default, "b"); // b is another project's trace
        Assert.Equal(["other/b", "Zeta/z", "alpha/y", $"{Default}/f", $"{Default}/a"], Keys(await catalog.PendingEvaluationsAsync(cutoff, 100)));

        // A later upsert without pending evaluations (a span batch after scoring) keeps the flag cleared.
        await catalog.UpsertAsync(rows[4] with { Name = "agent v2", EvaluationsPending = false });
        var d = (await catalog.QueryAsync(new TraceQuery(Default, Name: "agent v2"))).Traces.Single();
        Assert.False(d.EvaluationsPending);
        Assert.True((await catalog.QueryAsync(new TraceQuery("other"))).Traces.Single().EvaluationsPending);

        // A mark queued together with the upsert it follows still wins (one group-committed batch in PostgreSQL).
        await Task.WhenAll(catalog.UpsertAsync(Row(Default, "g", minute: 4, pending: true)), catalog.MarkEvaluatedAsync(Default, "g"));
        Assert.DoesNotContain($"{Default}/g", Keys(await catalog.PendingEvaluationsAsync(cutoff, 100)));
    }

    [Fact]
    public void ARowFromATraceIsPendingOnlyWhileEvaluatorsArePending()
    {
        var trace = new TraceData("t", "agent", null, [], T0, T0, [], null, true, Default);
        var evaluator = new EvaluatorDefinition("ev_1", Default, "contains", "CONTAINS", """{"value":"x"}""", true, 1, T0, T0);

        Assert.False(TraceCatalogRow.From(trace).EvaluationsPending);
        Assert.False(TraceCatalogRow.From(trace, EvaluationStatus.None).EvaluationsPending);
        Assert.True(TraceCatalogRow.From(trace, new EvaluationStatus(1, [evaluator], T0)).EvaluationsPending);
        Assert.False(TraceCatalogRow.From(trace, new EvaluationStatus(1, [], T0)).EvaluationsPending);
    }

    private static TraceCatalogRow Row(string project, string id, int minute, bool pending) =>
        new(id, project, "agent", SpanStatus.Ok, [], null, T0, null, null, 0, null, 1, [], null, false, T0.AddMinutes(minute), pending);

    private static List<string> Keys(IEnumerable<PendingEvaluation> traces) => [.. traces.Select(t => $"{t.Project}/{t.TraceId}")];
}
