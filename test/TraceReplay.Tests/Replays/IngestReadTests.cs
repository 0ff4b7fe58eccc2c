using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TraceReplay.Api.Ingestion;
using TraceReplay.Grains;
using TraceReplay.Grains.Ingestion;
using TraceReplay.Grains.Traces;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Replays;

/// <summary>
/// What ingesting a batch costs the storage, counted by a wrapper around each real grain storage: a trace the catalog
/// does not know is stored without being read, and leaves memory once nothing is pending on it; one taken as new by
/// mistake is read and merged, not overwritten.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class IngestReadTests(WriteCountingClusterFixture fixture) : IClassFixture<WriteCountingClusterFixture>
{
    private IClusterClient Client => fixture.Client;

    private IServiceProvider Silo => fixture.Cluster.Silos[0].ServiceProvider;

    private BatchIngestor Ingestor => new(Silo.GetRequiredService<IIngestJournal>(), Silo.GetRequiredService<ITraceCatalog>(), Client,
        NullLogger<BatchIngestor>.Instance, tellNewTraces: true);

    [Fact]
    public async Task ANewTraceIsStoredWithOneWriteAndNoReadThenLeavesMemoryAndIsReadBackWhole()
    {
        var (project, traceId) = (NewId("p"), NewId("t"));
        var grain = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, traceId));
        var (reads, writes) = (fixture.Reads.Count, fixture.Writes.Count);

        Assert.Null(await IngestAsync(project, traceId, SampleTraces.Agent()));

        Assert.DoesNotContain(fixture.Reads.Skip(reads), r => r.GrainId == grain.GetGrainId());
        Assert.Equal(["trace"], fixture.Writes.Skip(writes).Where(w => w.GrainId == grain.GetGrainId()).Select(w => w.StateName));
        var management = Client.GetGrain<IManagementGrain>(0);
        await Eventually.ReturnsAsync<List<GrainId>>(async () => [.. await management.GetActiveGrains(grain.GetGrainId().Type)],
            active => !active.Contains(grain.GetGrainId()), TimeSpan.FromSeconds(20), "the ingested trace to leave memory");

        Assert.Equal(SampleTraces.Agent().Spans.Select(s => s.Id), (await grain.GetAsync())!.Spans.Select(s => s.Id));
    }

    [Fact]
    public async Task ATraceStoredWithoutACatalogRowIsReadAndMergedNotOverwritten()
    {
        var (project, traceId) = (NewId("p"), NewId("t"));
        var grain = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, traceId));
        Assert.Null(await IngestAsync(project, traceId, SampleTraces.Agent()));
        // As when a trace's first write is stored and its catalog row is not yet: the next batch takes it as new.
        await Silo.GetRequiredService<ITraceCatalog>().DeleteAsync(project, [traceId]);
        await fixture.Cluster.DeactivateAsync(grain);
        var late = SampleTraces.Other("late", "root", SpanType.Tool, 2900, 2950, "{}", "{}");

        Assert.Null(await IngestAsync(project, traceId, new TraceIngest(null, [late])));

        Assert.Equal([.. SampleTraces.Agent().Spans.Select(s => s.Id), "late"], (await grain.GetAsync())!.Spans.Select(s => s.Id));
        Assert.Single(await Silo.GetRequiredService<ITraceCatalog>().GetRowsAsync(project, [traceId]), r => r.SpanCount == 6);
    }

    [Fact]
    public async Task ATraceKnownToTheCatalogCountsItsStoredSpansAgainstTheLimitAfterLeavingMemory()
    {
        var (project, traceId) = (NewId("p"), NewId("t"));
        var grain = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, traceId));
        Assert.Null(await IngestAsync(project, traceId, SampleTraces.Agent()));
        await fixture.Cluster.DeactivateAsync(grain);
        var limit = Silo.GetRequiredService<Microsoft.Extensions.Options.IOptions<TraceReplayOptions>>().Value.MaxSpansPerTrace;
        var more = Enumerable.Range(0, limit - SampleTraces.Agent().Spans.Count + 1)
            .Select(i => SampleTraces.Other($"more-{i}", "root", SpanType.Tool, 0, 1, "{}", "{}")).ToList();

        var refused = await IngestAsync(project, traceId, new TraceIngest(null, more));

        Assert.Equal(ErrorKind.TooLarge, refused?.Kind);
        Assert.Equal(SampleTraces.Agent().Spans.Count, (await grain.GetAsync())!.Spans.Count);
    }

    private Task<RequestError?> IngestAsync(string project, string traceId, TraceIngest ingest) =>
        Ingestor.IngestAsync(new Dictionary<string, TraceIngest> { [traceId] = ingest }, id => Client.GetGrain<ITraceGrain>(TraceKeys.For(project, id)));

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");
}
