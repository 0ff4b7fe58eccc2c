using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;
using TraceReplay.Silo.Postgres;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class ClusterRestartTests
{
    [PostgresFact]
    public async Task AClusterStoppedAndStartedAgainReadsBackTracesReplaysHistoryAndTemplateVersions()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var llm = await FakeOpenAiServer.StartAsync();
        var clusterId = "restart-" + Guid.NewGuid().ToString("N");
        var traceId = "rs-" + Guid.NewGuid().ToString("N");
        var templateKey = $"{TraceReplayNames.DefaultProject}/tpl-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?>(FakeLlmConfiguration.For(llm));

        ReplaySnapshot replay;
        using (var silo = await PostgresSilo.StartSiloAsync(PostgresSilo.SiloSettings(db, clusterId, settings)))
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var template = grains.GetGrain<IPromptTemplateGrain>(templateKey);
            await template.CreateVersionAsync(new NewPromptTemplateVersion("v1 {{x}}", null, null, "first"));
            await template.CreateVersionAsync(new NewPromptTemplateVersion("v2 {{x}}", null, null, "second"));
            await grains.GetGrain<ITraceGrain>(traceId).IngestAsync(SampleTraces.Chain(2));
            var started = await grains.GetGrain<ITraceGrain>(traceId).StartReplayAsync(new ReplayOverrides("gpt-4o", null, null));
            replay = await Eventually.ReturnsAsync(
                async () => (await grains.GetGrain<IReplayGrain>(started.Replay!.Id).GetAsync())!,
                r => r.Status == ReplayStatus.Completed, TimeSpan.FromSeconds(30), "the replay to complete");
            await Eventually.ReturnsAsync(() => grains.GetGrain<ITraceGrain>(traceId).GetReplaysAsync(),
                h => h.Count == 1 && h[0].Status == ReplayStatus.Completed, TimeSpan.FromSeconds(10), "the history to record it");
            await silo.StopAsync();
        }

        // A new silo (new ports, new generation) on the same database sees everything.
        using var restarted = await PostgresSilo.StartSiloAsync(PostgresSilo.SiloSettings(db, clusterId, settings));
        var after = restarted.Services.GetRequiredService<IGrainFactory>();
        var trace = await after.GetGrain<ITraceGrain>(traceId).GetAsync();
        Assert.NotNull(trace);
        Assert.Equal(3, trace.Spans.Count);
        Assert.Equal(replay, await after.GetGrain<IReplayGrain>(replay.Id).GetAsync());
        Assert.Equal([replay], await after.GetGrain<ITraceGrain>(traceId).GetReplaysAsync());
        var replayTrace = await after.GetGrain<ITraceGrain>(replay.ReplayTraceId!).GetAsync();
        Assert.Equal(new TraceLineage(traceId, replay.Id), replayTrace!.ReplayOf);
        var versions = await after.GetGrain<IPromptTemplateGrain>(templateKey).GetVersionsAsync();
        Assert.Equal(["v1 {{x}}", "v2 {{x}}"], versions.Select(v => v.Content));
        var catalog = restarted.Services.GetRequiredService<ITraceCatalog>();
        Assert.IsType<PostgresTraceCatalog>(catalog);
        var listed = await catalog.QueryAsync(new TraceQuery(TraceReplayNames.DefaultProject, Limit: 100));
        Assert.Contains(listed.Traces, t => t.Id == traceId);
        Assert.Contains(listed.Traces, t => t.Id == replay.ReplayTraceId && t.ReplayOf == new TraceLineage(traceId, replay.Id));
    }
}
