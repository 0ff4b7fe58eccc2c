using System.Text.Json;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;
using TraceReplay.Silo.Postgres;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class PostgresTraceCatalogTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static TraceCatalogRow Row(string id, int minute, string name = "agent", SpanStatus status = SpanStatus.Ok,
        string[]? tags = null, TraceLineage? replayOf = null, string project = TraceReplayNames.DefaultProject) =>
        new(id, project, name, status, tags ?? [], """{"env":"test"}""", T0.AddMinutes(minute).AddTicks(7), T0.AddMinutes(minute + 1),
            60_000, 120, 0.0012m, 3, ["gpt-4o"], replayOf, false, T0);

    [PostgresFact]
    public async Task DeletedRowsLeaveTheCatalogAndOnlyInTheirProject()
    {
        await using var test = await TestPostgres.CreateCatalogAsync();
        if (test is null)
        {
            return;
        }

        var catalog = test.Catalog;
        await Task.WhenAll(new[] { Row("a", 1), Row("b", 2), Row("c", 3), Row("a", 1, project: "other") }.Select(r => catalog.UpsertAsync(r)));

        await catalog.DeleteAsync(TraceReplayNames.DefaultProject, ["a", "b", "unknown"]);

        var left = await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject));
        Assert.Equal(["c"], left.Traces.Select(t => t.Id));
        Assert.Equal(["a"], (await catalog.QueryAsync(new TraceQuery("other"))).Traces.Select(t => t.Id));
    }

    [PostgresFact]
    public async Task PinsHideTracesFromTheUnpinnedFilterCountPerProjectAndAreReleasedPerHolder()
    {
        await using var test = await TestPostgres.CreateCatalogAsync();
        if (test is null)
        {
            return;
        }

        foreach (ITraceCatalog catalog in new ITraceCatalog[] { test.Catalog, new InMemoryTraceCatalog() })
        {
            await Task.WhenAll(new[] { Row("a", 1), Row("b", 2), Row("c", 3), Row("a", 1, project: "other") }.Select(r => catalog.UpsertAsync(r)));
            await catalog.PinAsync(TraceReplayNames.DefaultProject, PinHolders.Manual, ["a"]);
            await catalog.PinAsync(TraceReplayNames.DefaultProject, PinHolders.Sweep("s1"), ["a", "b", "b"]);
            await catalog.PinAsync(TraceReplayNames.DefaultProject, PinHolders.Sweep("s1"), ["b"]);

            var unpinned = await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Pinned: false));
            Assert.Equal(["c"], unpinned.Traces.Select(t => t.Id));
            var pinned = await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Pinned: true));
            Assert.Equal(["b", "a"], pinned.Traces.Select(t => t.Id));
            Assert.All(pinned.Traces, t => Assert.True(t.Pinned));
            Assert.Equal(2, await catalog.CountAsync(new TraceQuery(TraceReplayNames.DefaultProject, Pinned: true)));
            Assert.Equal(3, await catalog.CountPinsAsync(TraceReplayNames.DefaultProject));
            Assert.Equal(0, await catalog.CountPinsAsync("other"));
            Assert.Equal([PinHolders.Manual, PinHolders.Sweep("s1")], await catalog.PinHoldersAsync(TraceReplayNames.DefaultProject, "a"));

            await catalog.UnpinAsync(TraceReplayNames.DefaultProject, PinHolders.Sweep("s1"));

            Assert.Equal([PinHolders.Manual], await catalog.PinHoldersAsync(TraceReplayNames.DefaultProject, "a"));
            Assert.Empty(await catalog.PinHoldersAsync(TraceReplayNames.DefaultProject, "b"));
            Assert.Equal(["c", "b"], (await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Pinned: false))).Traces.Select(t => t.Id));
            Assert.False((await catalog.QueryAsync(new TraceQuery("other"))).Traces.Single().Pinned);
        }
    }

    [PostgresFact]
    public async Task ListingLooksUpThePinsOfTheRowsItReturnsNotEveryPin()
    {
        await using var test = await TestPostgres.CreateCatalogAsync();
        if (test is null)
        {
            return;
        }

        // A sweep pins each of its sources and replay traces: the pin table grows with the sweeps, the page does not.
        var catalog = test.Catalog;
        var rows = Enumerable.Range(0, 2_000).Select(i => Row($"t{i:D4}", i)).ToList();
        await Task.WhenAll(rows.Select(r => catalog.UpsertAsync(r)));
        await catalog.PinAsync(TraceReplayNames.DefaultProject, PinHolders.Sweep("s1"), [.. rows.Where((_, i) => i % 2 == 0).Select(r => r.Id)]);
        await TestPostgres.ScalarAsync<object>(test.ConnectionString, "ANALYZE");

        var page = await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Limit: 4));
        Assert.Equal(["t1999", "t1998", "t1997", "t1996"], page.Traces.Select(t => t.Id));
        Assert.Equal([false, true, false, true], page.Traces.Select(t => t.Pinned));

        await using var listing = catalog.QueryCommand(new TraceQuery(TraceReplayNames.DefaultProject, Limit: 20));
        listing.CommandText = "EXPLAIN (FORMAT JSON) " + listing.CommandText;
        using var plan = JsonDocument.Parse((string)(await listing.ExecuteScalarAsync())!);
        var pinReads = Nodes(plan.RootElement[0].GetProperty("Plan"))
            .Where(n => n.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "trace_pins")
            .Select(n => n.GetProperty("Node Type").GetString())
            .ToList();
        Assert.NotEmpty(pinReads);
        Assert.All(pinReads, type => Assert.Contains(type, new[] { "Index Scan", "Index Only Scan" }));

        static IEnumerable<JsonElement> Nodes(JsonElement node) =>
            node.TryGetProperty("Plans", out var children)
                ? children.EnumerateArray().SelectMany(Nodes).Prepend(node)
                : [node];
    }

    [PostgresFact]
    public async Task FiltersAndCursorPagingMatchTheInMemoryCatalog()
    {
        await using var test = await TestPostgres.CreateCatalogAsync();
        if (test is null)
        {
            return;
        }

        var catalog = test.Catalog;
        var memory = new InMemoryTraceCatalog();
        TraceCatalogRow[] rows =
        [
            Row("a", 1, "Support agent", tags: ["prod", "eu"]),
            Row("b", 2, "summarizer", SpanStatus.Error, ["prod"]),
            Row("c", 3, "support bot", tags: ["eu"], replayOf: new TraceLineage("a", "rpl_1")),
            Row("d", 3, "100%_agent", tags: ["prod", "eu"]),
            Row("e", 4, "support", project: "other"),
            .. Enumerable.Range(0, 7).Select(i => Row($"p{i}", 10, "paged")),
        ];
        await Task.WhenAll(rows.Select(r => catalog.UpsertAsync(r)));
        await catalog.UpsertAsync(rows[1] with { Name = "summarizer v2" });
        foreach (var row in rows)
        {
            await memory.UpsertAsync(row);
        }

        await memory.UpsertAsync(rows[1] with { Name = "summarizer v2" });

        TraceQuery[] queries =
        [
            new(TraceReplayNames.DefaultProject),
            new(TraceReplayNames.DefaultProject, Name: "SUPPORT"),
            new(TraceReplayNames.DefaultProject, Name: "0%_"),
            new(TraceReplayNames.DefaultProject, Status: SpanStatus.Error),
            new(TraceReplayNames.DefaultProject, Tags: ["prod", "eu"]),
            new(TraceReplayNames.DefaultProject, StartDate: T0.AddMinutes(2), EndDate: T0.AddMinutes(3).AddTicks(7)),
            new("other"),
        ];
        foreach (var query in queries)
        {
            Assert.Equal(Ids(await memory.QueryAsync(query)), Ids(await catalog.QueryAsync(query)));
        }

        var pages = new List<string>();
        string? cursor = null;
        do
        {
            var page = await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Limit: 3, Cursor: cursor));
            pages.AddRange(page.Traces.Select(t => t.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(Ids(await memory.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Limit: 100))), pages);
        var stored = (await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Name: "support bot"))).Traces.Single();
        Assert.Equal(rows[2], stored with { Tags = rows[2].Tags, Models = rows[2].Models });
        Assert.Equal(rows[2].Tags, stored.Tags);
    }

    [PostgresFact]
    public async Task ManyConcurrentUpsertsAreGroupedIntoFewStatementsAndAllStored()
    {
        await using var test = await TestPostgres.CreateCatalogAsync(new PostgresOptions { CatalogBatchSize = 200 });
        if (test is null)
        {
            return;
        }

        var (db, catalog) = (test.ConnectionString, test.Catalog);

        await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => catalog.UpsertAsync(Row($"t{i:D4}", i % 50))));

        Assert.Equal(2000L, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM trace_catalog"));
        // Every upsert in a statement shares its transaction id: far fewer transactions than rows.
        var statements = await TestPostgres.ScalarAsync<long>(db, "SELECT count(DISTINCT xmin::text) FROM trace_catalog");
        Assert.InRange(statements, 10, 200);
    }

    private static List<string> Ids(TracePage page) => [.. page.Traces.Select(t => t.Id)];
}
