using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;
using TraceReplay.Api.Ingestion;
using TraceReplay.Grains;
using TraceReplay.Grains.Ingestion;
using TraceReplay.Grains.Traces;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// On PostgreSQL's grain storage: a trace taken as new (no catalog row) whose body is stored after all gets a version
/// conflict from its first write, reads what is stored and applies the batch to it.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class IngestNewTraceTests
{
    [PostgresFact]
    public async Task ATraceStoredWithoutACatalogRowIsMergedNotOverwritten()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        using var silo = await PostgresSilo.StartSiloAsync(PostgresSilo.SiloSettings(db, "new-" + Guid.NewGuid().ToString("N")));
        var grains = silo.Services.GetRequiredService<IGrainFactory>();
        var catalog = silo.Services.GetRequiredService<ITraceCatalog>();
        var traceId = "t-" + Guid.NewGuid().ToString("N");
        var grain = grains.GetGrain<ITraceGrain>(traceId);
        var ingest = SampleTraces.Agent();
        // Stored with no catalog row, as when a trace's first write committed and its catalog row did not yet.
        var stored = new TraceData(traceId, "agent", null, [], SampleTraces.Start, SampleTraces.Start, ingest.Spans, null, true);
        await silo.Services.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.TraceStorage)
            .WriteStateAsync("trace", grain.GetGrainId(), new GrainState<TraceState>(new TraceState { Trace = stored }));
        var ingestor = new BatchIngestor(silo.Services.GetRequiredService<IIngestJournal>(), catalog, grains, NullLogger<BatchIngestor>.Instance, tellNewTraces: true);
        var late = SampleTraces.Other("late", "root", SpanType.Tool, 2900, 2950, "{}", "{}");

        Assert.Null(await ingestor.IngestAsync(new Dictionary<string, TraceIngest> { [traceId] = new(null, [late]) }, id => grains.GetGrain<ITraceGrain>(id)));

        Assert.Equal([.. ingest.Spans.Select(s => s.Id), "late"], (await grain.GetAsync())!.Spans.Select(s => s.Id));
        Assert.Single(await catalog.GetRowsAsync(TraceReplayNames.DefaultProject, [traceId]), r => r.SpanCount == ingest.Spans.Count + 1);
    }
}
