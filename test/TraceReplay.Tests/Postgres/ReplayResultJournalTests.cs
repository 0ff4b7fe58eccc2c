using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Serialization;
using TraceReplay.Grains;
using TraceReplay.Grains.Replays;
using TraceReplay.Silo.Postgres;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

/// <summary>The replay result journal on a real PostgreSQL (table replay_results, migration 0012).</summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class ReplayResultJournalTests
{
    private static readonly DateTimeOffset Started = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [PostgresFact]
    public async Task AppendsOfManyReplaysAtOnceAreReadBackPerReplayOnceEachAndDiscardedTogetherWhenTheirReplaysFinished()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var services = new ServiceCollection()
            .AddSerializer(s => s.AddAssembly(typeof(JournaledResult).Assembly).AddAssembly(typeof(DatedPrice).Assembly))
            .BuildServiceProvider();
        await using var source = NpgsqlDataSource.Create(db);
        await using var journal = new PostgresReplayResultJournal(source, services.GetRequiredService<Serializer>(), NullLogger<PostgresReplayResultJournal>.Instance);
        var price = new DatedPrice("gpt-4o-mini", "openai", 0.15m, 0.6m, null, PriceSource.Shipped);

        // Twenty replays append at once, one of them the same result twice.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            journal.AppendAsync($"rpl_{i}", [Row("l0", price), Row("l1", null)])));
        await journal.AppendAsync("rpl_0", [Row("l1", null), Row("l2", price)]);

        var first = await journal.ReadAsync("rpl_0");
        Assert.Equal(["l0", "l1", "l2"], first.Select(r => r.Result.SourceSpanId).Order());
        Assert.Equal(price, first.Single(r => r.Result.SourceSpanId == "l0").Price);
        Assert.Equal(Started, first[0].StartedAt);
        Assert.Equal(2, (await journal.ReadAsync("rpl_19")).Count);
        Assert.Empty(await journal.ReadAsync("rpl_unknown"));

        await Task.WhenAll(journal.DiscardAsync("rpl_0"), journal.DiscardAsync("rpl_1"), journal.DiscardAsync("rpl_unknown"));

        Assert.Empty(await journal.ReadAsync("rpl_0"));
        Assert.Equal(18 * 2, await TestPostgres.ScalarAsync<long>(db, "SELECT count(*) FROM replay_results"));
    }

    private static JournaledResult Row(string spanId, DatedPrice? price) =>
        new(new SpanResult(spanId, "gpt-4o-mini", """{"role":"assistant","content":"hi"}""", 10, 2, 5, 0, 0.00001m, false, 1), price, Started);
}
