using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;
using TraceReplay.Api.Apis;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Silo.Postgres;
using TraceReplay.Tests.Postgres;

namespace TraceReplay.Tests.Sweeps;

/// <summary>
/// The API reads sweeps' status from the store the sweep grains publish to (ISweepStatusStore), not from the grains;
/// a sweep stored before the store existed is still found and listed, and so is every sweep while the store is down.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class SweepStatusTests(ApiFixture fixture)
{
    private ISweepStatusStore Store => fixture.Services.GetRequiredService<ISweepStatusStore>();

    [Fact]
    public async Task GetAndListAnswerWithThePublishedSnapshotAndItsTimeLeftAsOfNow()
    {
        // No grain holds this sweep: only the store does, so the answers can only come from the store.
        var id = "swp_published_" + Guid.NewGuid().ToString("N")[..8];
        var startedAt = DateTimeOffset.UtcNow.AddSeconds(-40);
        var published = SweepStatusStoreTests.Sweep(id, TraceReplayNames.DefaultProject, startedAt.AddSeconds(-1), SweepStatus.Running, completed: 0) with
        {
            StartedAt = startedAt,
            Counts = new SweepCounts(100, 50, 10, 35, 5, 0),
            EstimatedTimeRemaining = TimeSpan.FromHours(5),
        };
        await Store.PublishAsync(published);
        try
        {
            var sweep = await fixture.GetDataAsync($"/api/v1/sweeps/{id}");
            Assert.Equal("RUNNING", (string?)sweep["status"]);
            Assert.Equal(35, (int)sweep["counts"]!["completed"]!);
            // 40 recorded in about 40 s, 60 to go: about 60 s left now, not the 5 h the snapshot was published with.
            Assert.InRange((double)sweep["etaSeconds"]!, 55, 75);

            var listed = (await fixture.GetDataAsync("/api/v1/sweeps")).AsArray();
            Assert.Contains(listed, s => (string?)s!["id"] == id);
        }
        finally
        {
            await Store.DeleteAsync(id);
        }

        await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync($"/api/v1/sweeps/{id}"), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task ASweepsRowFollowsItsGrainToTheEndAndGoesWithItsDeletion()
    {
        var (tag, _) = await SweepApiTests.IngestTaggedAsync(fixture, 3);
        var response = await fixture.PostAsync("/api/v1/sweeps", new { name = "row", filter = new { tags = new[] { tag } }, overrides = new { model = "gpt-4o-mini" } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
        Assert.NotNull(await Store.GetAsync(TraceReplayNames.DefaultProject, id));

        var grain = fixture.Services.GetRequiredService<IClusterClient>().GetGrain<ISweepGrain>(id);
        var finished = await Eventually.ReturnsAsync(grain.GetAsync, s => s!.CompletedAt is not null, TimeSpan.FromSeconds(60), $"sweep {id} to end");
        var row = await Store.GetAsync(TraceReplayNames.DefaultProject, id);
        Assert.NotNull(row);
        Assert.Equal(finished!.Status, row.Status);
        Assert.Equal(finished.Counts, row.Counts);
        Assert.Equal(3, row.Counts.Completed);
        Assert.Equal(finished.SpendUsd, row.SpendUsd);

        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Client.DeleteAsync($"/api/v1/sweeps/{id}")).StatusCode);
        Assert.Null(await Store.GetAsync(TraceReplayNames.DefaultProject, id));
        await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync($"/api/v1/sweeps/{id}"), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task ASweepTheStoreDoesNotHoldOrCannotAnswerForIsFoundThroughItsGrainAndListedThroughTheProjectsRegistry()
    {
        var (tag, _) = await SweepApiTests.IngestTaggedAsync(fixture, 2);
        var response = await fixture.PostAsync("/api/v1/sweeps", new { name = "before-the-store", filter = new { tags = new[] { tag } }, overrides = new { model = "gpt-4o-mini" } });
        var id = (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;

        // As after an upgrade: a store without this sweep's row, read by a process that has listed nothing yet.
        var client = fixture.Services.GetRequiredService<IClusterClient>();
        var statuses = new SweepStatuses(new InMemorySweepStatusStore(), client, TimeProvider.System);

        Assert.Equal(id, (await statuses.FindAsync(TraceReplayNames.DefaultProject, id))?.Id);
        Assert.Null(await statuses.FindAsync("another-project", id));
        Assert.Contains(await statuses.ListAsync(TraceReplayNames.DefaultProject), s => s.Id == id);
        Assert.DoesNotContain(await statuses.ListAsync("another-project"), s => s.Id == id);

        // A store that cannot be reached (a database outage: nothing listens on the port) is answered for by the grains.
        await using var down = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=postgres;Timeout=2");
        var outage = new SweepStatuses(new PostgresSweepStatusStore(down, fixture.Services.GetRequiredService<Serializer>()), client, TimeProvider.System);
        Assert.Equal(id, (await outage.FindAsync(TraceReplayNames.DefaultProject, id))?.Id);
        Assert.Contains(await outage.ListAsync(TraceReplayNames.DefaultProject), s => s.Id == id);
    }
}
