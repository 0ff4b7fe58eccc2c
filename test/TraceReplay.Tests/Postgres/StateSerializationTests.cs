using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class StateSerializationTests
{
    [PostgresFact]
    public async Task TraceStateWrittenToPostgresReadsBackIntoARenamedStateClass()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        using var silo = await PostgresSilo.StartSiloAsync(PostgresSilo.SiloSettings(db, "rename-" + Guid.NewGuid().ToString("N")));
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.TraceStorage);
        var grainId = GrainId.Create("trace", "t-" + Guid.NewGuid().ToString("N"));
        var ingest = SampleTraces.Agent();
        var trace = new TraceData(grainId.Key.ToString()!, "agent", """{"env":"test"}""", ["prod"], SampleTraces.Start,
            SampleTraces.Start, ingest.Spans, null, true);
        var snapshot = new ReplaySnapshot("rpl_1", trace.Id, ReplayStatus.Completed, new ReplayOverrides("gpt-4o-mini", null, null),
            SampleTraces.Start, SampleTraces.Start, SampleTraces.Start.AddSeconds(3), null, 2, 2, "trace_rpl_1", new OverrideCounts(2, 0, 0),
            new ReplayResultSummary(0.5m, 300, 2000, false));
        var written = new TestGrainState<TraceState>(new TraceState { Trace = trace, LegacyReplays = [snapshot] });

        await storage.WriteStateAsync("trace", grainId, written);
        var read = new TestGrainState<RenamedTraceState>(new RenamedTraceState());
        await storage.ReadStateAsync("trace", grainId, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(trace with { Spans = read.State.Trace!.Spans, Tags = read.State.Trace.Tags }, read.State.Trace);
        Assert.Equal(trace.Spans, read.State.Trace.Spans);
        Assert.Equal(snapshot, read.State.Replays.Single());
        // The payload names no CLR type, so no class name or namespace is part of the stored format.
        var payload = await TestPostgres.ScalarAsync<byte[]>(db, "SELECT payload FROM orleans_grain_state");
        Assert.DoesNotContain("TraceState", Encoding.UTF8.GetString(payload));
    }

    [PostgresFact]
    public async Task ATraceStoredBeforeTheSplitKeepsItsHistoryAndScoresAndItsBodyIsNotRewrittenByAScore()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        if (db is null)
        {
            return;
        }

        using var silo = await PostgresSilo.StartSiloAsync(PostgresSilo.SiloSettings(db, "split-" + Guid.NewGuid().ToString("N")));
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.TraceStorage);
        var grain = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<ITraceGrain>("t-" + Guid.NewGuid().ToString("N"));
        var ingest = SampleTraces.Agent();
        var trace = new TraceData(grain.GetPrimaryKeyString(), "agent", null, [], SampleTraces.Start, SampleTraces.Start, ingest.Spans, null, true);
        var replay = new ReplaySnapshot("rpl_1", trace.Id, ReplayStatus.Completed, ReplayOverrides.None, SampleTraces.Start, SampleTraces.Start,
            SampleTraces.Start.AddSeconds(3), null, 2, 2, "trace_rpl_1", new OverrideCounts(0, 0, 0), null);
        var score = new TraceScore("ev_1", "helpful", "BOOLEAN", 1, null, null, 1, SampleTraces.Start);
        // As the version before the split stored it: one record holding spans, history and scores.
        var legacy = new TestGrainState<TraceState>(new TraceState { Trace = trace, LegacyReplays = [replay], LegacyScores = [score] });
        await storage.WriteStateAsync("trace", grain.GetGrainId(), legacy);

        Assert.Equal([replay], await grain.GetReplaysAsync());
        Assert.Equal([score], await grain.GetScoresAsync());
        await grain.AddScoreAsync(score with { EvaluatorId = "ev_2" });

        var activity = new TestGrainState<TraceActivity>(new TraceActivity());
        await storage.ReadStateAsync("activity", grain.GetGrainId(), activity);
        Assert.Equal([replay], activity.State.Replays);
        Assert.Equal(["ev_1", "ev_2"], activity.State.Scores.Select(s => s.EvaluatorId));
        var body = new TestGrainState<TraceState>(new TraceState());
        await storage.ReadStateAsync("trace", grain.GetGrainId(), body);
        Assert.Equal(legacy.ETag, body.ETag);
        Assert.Equal(trace.Spans, body.State.Trace!.Spans);
    }

    private sealed class TestGrainState<T>(T state) : IGrainState<T>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public T State { get; set; } = state;

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}

/// <summary>
/// <see cref="TraceState"/> after a rename to another class in another namespace: same field ids, nothing else shared.
/// </summary>
[GenerateSerializer, Alias("TraceReplay.Tests.RenamedTraceState")]
public sealed class RenamedTraceState
{
    [Id(0)] public TraceData? Trace { get; set; }

    [Id(1)] public List<ReplaySnapshot> Replays { get; set; } = [];

    [Id(2)] public List<TraceScore> Scores { get; set; } = [];
}
