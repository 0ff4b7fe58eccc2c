using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Reproducibility;

/// <summary>Issue 23: traces a sweep refers to, or pinned by hand, outlive retention while the reference exists.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ReproducibilityCollection.Name)]
public sealed class PinningTests(ReproducibilityFixture fixture)
{
    private Task<RetentionReport> PurgeAsync() =>
        fixture.Services.GetRequiredService<IClusterClient>().GetGrain<IRetentionGrain>(TraceReplayNames.DefaultProject).PurgeExpiredAsync();

    private async Task<HttpStatusCode> StatusOfAsync(string traceId) => (await fixture.Client.GetAsync($"/api/v1/traces/{traceId}")).StatusCode;

    private async Task<JsonNode> WaitForSweepAsync(string sweepId) => await Eventually.ReturnsAsync(
        () => fixture.GetDataAsync($"/api/v1/sweeps/{sweepId}"), s => s["completedAt"] is not null, TimeSpan.FromSeconds(60), "the sweep to end");

    [Fact]
    public async Task APinnedTraceAndASweepsSourcesSurviveARetentionPassThatPurgesAnUnpinnedTraceOfTheSameAgeUntilTheSweepIsDeleted()
    {
        var old = DateTimeOffset.UtcNow.AddDays(-40);
        var name = "pinning-" + Guid.NewGuid().ToString("N");
        var (pinned, source, unpinned, recent) = (Batches.NewTraceId(), Batches.NewTraceId(), Batches.NewTraceId(), Batches.NewTraceId());
        var created = await fixture.PostAsync("/api/v1/traces", Batches.Of(
            Batches.TraceCreate(pinned, name, timestamp: old), Batches.LlmSpan(pinned, "s1", "pinned by hand", start: old),
            Batches.TraceCreate(source, name, timestamp: old), Batches.LlmSpan(source, "s1", "a sweep's source", start: old),
            Batches.TraceCreate(unpinned, name, timestamp: old), Batches.LlmSpan(unpinned, "s1", "nobody keeps me", start: old),
            Batches.TraceCreate(recent, name), Batches.LlmSpan(recent, "s1", "recent source")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var pin = await fixture.Client.PostAsync($"/api/v1/traces/{pinned}/pin", null);
        Assert.Equal(HttpStatusCode.OK, pin.StatusCode);
        Assert.Equal(["manual"], (await ApiFixture.ReadJsonAsync(pin))["data"]!["pinnedBy"]!.AsArray().Select(h => (string?)h));
        var started = await fixture.PostAsync("/api/v1/sweeps", new { filter = new { traceIds = new[] { source, recent } } });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var sweepId = (string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!;
        await WaitForSweepAsync(sweepId);
        var entries = (await fixture.Services.GetRequiredService<IClusterClient>().GetGrain<ISweepGrain>(sweepId).GetEntriesAsync())!;
        var replayTrace = entries.Single(e => e.TraceId == recent).ReplayTraceId!;
        // The sweep pinned its old source before replaying it, so the source is replayable past the retention window.
        Assert.Equal(SweepTraceStatus.Completed, entries.Single(e => e.TraceId == source).Status);

        var pinnedList = await fixture.GetDataAsync($"/api/v1/traces?name={name}&pinned=true");
        Assert.Equal(new[] { recent, source, pinned }.Order(), pinnedList["traces"]!.AsArray().Where(t => t!["replayOf"] is null).Select(t => (string)t!["id"]!).Order());
        Assert.All(pinnedList["traces"]!.AsArray(), t => Assert.True((bool)t!["pinned"]!));
        Assert.Equal([unpinned], (await fixture.GetDataAsync($"/api/v1/traces?name={name}&pinned=false"))["traces"]!.AsArray().Select(t => (string?)t!["id"]));
        var replayRead = await fixture.GetDataAsync($"/api/v1/traces/{replayTrace}");
        Assert.True((bool)replayRead["pinned"]!);
        Assert.Equal([$"sweep:{sweepId}"], replayRead["pinnedBy"]!.AsArray().Select(h => (string?)h));

        var pass = await PurgeAsync();

        Assert.True(pass.Purged >= 1);
        Assert.True(pass.KeptForPins >= 2, $"kept {pass.KeptForPins}");
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(unpinned));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(pinned));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(source));

        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Client.DeleteAsync($"/api/v1/sweeps/{sweepId}")).StatusCode);
        await ApiFixture.AssertErrorAsync(await fixture.Client.GetAsync($"/api/v1/sweeps/{sweepId}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await ApiFixture.AssertErrorAsync(await fixture.Client.DeleteAsync($"/api/v1/sweeps/{sweepId}"), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.False((bool)(await fixture.GetDataAsync($"/api/v1/traces/{replayTrace}"))["pinned"]!);
        var unpin = await fixture.Client.DeleteAsync($"/api/v1/traces/{pinned}/pin");
        Assert.Equal(HttpStatusCode.OK, unpin.StatusCode);
        Assert.False((bool)(await ApiFixture.ReadJsonAsync(unpin))["data"]!["pinned"]!);

        await PurgeAsync();

        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(pinned));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(source));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(recent));
    }

    [Fact]
    public async Task APinPastTheProjectsLimitIsRefusedWith409AndTheReasonAndChangesNothing()
    {
        var name = "pin-limit-" + Guid.NewGuid().ToString("N");
        var ids = Enumerable.Range(0, ReproducibilityFixture.MaxPinnedTraces + 1).Select(_ => Batches.NewTraceId()).ToList();
        var created = await fixture.PostAsync("/api/v1/traces", Batches.Of([.. ids.SelectMany(id => new[]
        {
            Batches.TraceCreate(id, name), Batches.LlmSpan(id, "s1", "pin me"),
        })]));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var pinnedHere = new List<string>();
        try
        {
            HttpResponseMessage? refused = null;
            foreach (var id in ids)
            {
                var response = await fixture.Client.PostAsync($"/api/v1/traces/{id}/pin", null);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    refused = response;
                    Assert.False((bool)(await fixture.GetDataAsync($"/api/v1/traces/{id}"))["pinned"]!);
                    break;
                }

                pinnedHere.Add(id);
            }

            Assert.NotNull(refused);
            Assert.Contains("MaxPinnedTraces", await ApiFixture.AssertErrorAsync(refused, HttpStatusCode.Conflict, "CONFLICT"));
            // Pinning a trace already pinned by hand takes no new pin, so it still answers 200.
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.PostAsync($"/api/v1/traces/{pinnedHere[0]}/pin", null)).StatusCode);
            var sweep = await fixture.PostAsync("/api/v1/sweeps", new { filter = new { traceIds = new[] { ids[^1] } } });
            Assert.Contains("MaxPinnedTraces", await ApiFixture.AssertErrorAsync(sweep, HttpStatusCode.Conflict, "CONFLICT"));
            await ApiFixture.AssertErrorAsync(await fixture.Client.PostAsync("/api/v1/traces/no-such-trace/pin", null), HttpStatusCode.NotFound, "NOT_FOUND");
        }
        finally
        {
            foreach (var id in pinnedHere)
            {
                await fixture.Client.DeleteAsync($"/api/v1/traces/{id}/pin");
            }
        }
    }
}
