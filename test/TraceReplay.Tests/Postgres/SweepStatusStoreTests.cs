using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Silo.Postgres;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

/// <summary>The sweep status store (table sweep_status, migration 0013) and its in-memory twin: the same contract.</summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class SweepStatusStoreTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [PostgresFact]
    public async Task APublishedSnapshotIsReadBackWholeReplacedByTheNextListedNewestFirstPerProjectAndDeleted()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var services = new ServiceCollection()
            .AddSerializer(s => s.AddAssembly(typeof(SweepSnapshot).Assembly))
            .BuildServiceProvider();
        await using var source = NpgsqlDataSource.Create(db);
        foreach (ISweepStatusStore store in new ISweepStatusStore[]
            { new PostgresSweepStatusStore(source, services.GetRequiredService<Serializer>()), new InMemorySweepStatusStore() })
        {
            var older = Sweep("swp_older", "alpha", Day0, SweepStatus.Running, completed: 1);
            var newer = Sweep("swp_newer", "alpha", Day0.AddHours(1), SweepStatus.Pending, completed: 0);
            await store.PublishAsync(older);
            await store.PublishAsync(newer);
            await store.PublishAsync(Sweep("swp_other", "beta", Day0.AddHours(2), SweepStatus.Running, completed: 0));

            // A later checkpoint replaces the row; every field comes back, the prices and overrides included.
            var later = older with { Status = SweepStatus.Completed, Counts = new SweepCounts(3, 0, 0, 2, 1, 0), SpendUsd = 0.25m, CompletedAt = Day0.AddMinutes(5) };
            await store.PublishAsync(later);
            var read = await store.GetAsync("alpha", "swp_older");
            Assert.NotNull(read);
            Assert.Equal(SweepStatus.Completed, read.Status);
            Assert.Equal(later.Counts, read.Counts);
            Assert.Equal(0.25m, read.SpendUsd);
            Assert.Equal(later.CompletedAt, read.CompletedAt);
            Assert.Equal(later.Overrides, read.Overrides);
            Assert.Equal(later.Prices, read.Prices);
            Assert.Equal(later.BudgetUsd, read.BudgetUsd);
            Assert.Equal(later.FilterDescription, read.FilterDescription);

            // Another project's id is not found, and its sweeps are not listed.
            Assert.Null(await store.GetAsync("beta", "swp_older"));
            Assert.Null(await store.GetAsync("alpha", "swp_unknown"));
            Assert.Equal(["swp_newer", "swp_older"], (await store.ListAsync("alpha")).Select(s => s.Id));

            await store.DeleteAsync("swp_older");
            await store.DeleteAsync("swp_unknown");
            Assert.Null(await store.GetAsync("alpha", "swp_older"));
            Assert.Equal(["swp_newer"], (await store.ListAsync("alpha")).Select(s => s.Id));
        }
    }

    internal static SweepSnapshot Sweep(string id, string project, DateTimeOffset createdAt, SweepStatus status, int completed) => new(
        id, "nightly", status, new ReplayOverrides("gpt-4o-mini", null, """{"temperature":0}"""), "tags=prod", 12, 5m, 0.05, null,
        new SweepCounts(3, 3 - completed, 0, completed, 0, 0), 0.01m * completed, createdAt, createdAt.AddSeconds(1), null,
        TimeSpan.FromSeconds(30), null, project,
        new PriceSnapshot(createdAt, [new DatedPrice("gpt-4o-mini", "openai", 0.15m, 0.6m, null, PriceSource.Shipped)]));
}
