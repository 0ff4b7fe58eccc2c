using System.Net;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Api;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class RetentionApiTests(ApiFixture api)
{
    [Fact]
    public async Task TheRetentionJobPurgesExpiredTracesAndTheirReplaysAnswerGone()
    {
        var old = DateTimeOffset.UtcNow.AddDays(-40);
        var name = "retention-" + Guid.NewGuid().ToString("N");
        var expired = Batches.NewTraceId();
        var recent = Batches.NewTraceId();
        var created = await api.PostAsync("/api/v1/traces", Batches.Of(
            Batches.TraceCreate(expired, name, timestamp: old),
            Batches.LlmSpan(expired, "s1", "old question", start: old),
            Batches.TraceCreate(recent, name),
            Batches.LlmSpan(recent, "s1", "new question")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var purged = await api.Services.GetRequiredService<IClusterClient>()
            .GetGrain<IRetentionGrain>(TraceReplayNames.DefaultProject).PurgeExpiredAsync();

        Assert.True(purged.Purged >= 1);
        var listed = await api.GetDataAsync($"/api/v1/traces?name={name}");
        Assert.Equal([recent], listed["traces"]!.AsArray().Select(t => (string?)t!["id"]));
        Assert.Equal(HttpStatusCode.NotFound, (await api.Client.GetAsync($"/api/v1/traces/{expired}")).StatusCode);
        var replay = await api.PostAsync($"/api/v1/traces/{expired}/replays", new { model = "gpt-4o-mini" });
        Assert.Contains("purged", await ApiFixture.AssertErrorAsync(replay, HttpStatusCode.Gone, "GONE"));
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync($"/api/v1/traces/{recent}")).StatusCode);
    }
}
