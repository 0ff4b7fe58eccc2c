using System.Net;
using TraceReplay.Grains;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class SweepFailoverTests
{
    private const int Traces = 24;

    [PostgresFact]
    public async Task ASweepWhoseSiloIsKilledFinishesOnTheSurvivorWithOneReplayPerTrace()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var llm = await FakeOpenAiServer.StartAsync();
        llm.Delay = TimeSpan.FromMilliseconds(400);
        var clusterId = "sweep-failover-" + Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string?>(FakeLlmConfiguration.For(llm));
        foreach (var (key, value) in SiloFailoverTests.FastRecovery)
        {
            settings[key] = value;
        }

        var first = PostgresSilo.SiloSettings(db, clusterId, settings);
        var second = PostgresSilo.SiloSettings(db, clusterId, settings);
        using var siloA = SiloProcess.Start(first);
        using var siloB = SiloProcess.Start(second);
        await SiloFailoverTests.WaitForActiveSilosAsync(db, clusterId, 2, siloA, siloB);
        using var clientHost = await PostgresSilo.StartClientAsync(db, clusterId);
        var client = clientHost.Client();

        var traceIds = Enumerable.Range(0, Traces).Select(i => $"sf-{i:D2}-{Guid.NewGuid():N}").ToList();
        await Task.WhenAll(traceIds.Select(id => client.GetGrain<ITraceGrain>(id).IngestAsync(new TraceIngest(SampleTraces.Header("sweep-failover"),
        [
            SampleTraces.Other("root", null, SpanType.Chain, 0, 1000, "\"go\"", "\"done\""),
            SampleTraces.Llm("l0", "root", 0, 900, SampleTraces.Messages(("user", id)), "\"answer\"", "gpt-4o-mini"),
        ]))));
        var sweepId = "sw_" + Guid.NewGuid().ToString("N");
        var sweep = client.GetGrain<ISweepGrain>(sweepId);
        await sweep.StartAsync(new SweepDefinition(
            "failover", TraceReplayNames.DefaultProject,
            [.. traceIds.Select(id => new SweepTarget(id, "sweep-failover", DateTimeOffset.UtcNow, null, 900))],
            new ReplayOverrides("gpt-4o", null, null), MaxInFlight: 4, BudgetUsd: null, RegressionThreshold: 0.1,
            BaselineSweepId: null, DateTimeOffset.UtcNow, "test"));

        await Eventually.ReturnsAsync(async () => (await sweep.GetAsync())!.Counts.Completed, n => n >= 6,
            TimeSpan.FromSeconds(60), "a quarter of the sweep to complete");
        var host = await client.GetGrain<IManagementGrain>(0).GetActivationAddress(sweep);
        Assert.NotNull(host);
        var victim = host.Endpoint.Port.ToString() == first["Orleans:Endpoints:SiloPort"] ? siloA : siloB;
        victim.Kill();

        var done = await Eventually.ReturnsAsync(
            async () => await TryGetAsync(sweep),
            s => s is { Status: SweepStatus.Completed or SweepStatus.Failed, CompletedAt: not null },
            TimeSpan.FromSeconds(120), "the sweep to finish after its silo was killed");

        Assert.Equal(SweepStatus.Completed, done!.Status);
        Assert.Equal(Traces, done.Counts.Completed);
        var replayTraces = await TestPostgres.ScalarAsync<long>(db,
            $"SELECT count(*) FROM trace_catalog WHERE replay_of_trace_id IN ({string.Join(',', traceIds.Select(id => $"'{id}'"))})");
        Assert.Equal(Traces, replayTraces);
        var calls = llm.Requests.GroupBy(r => r.Body["messages"]!.AsArray().Last()!["content"]!.GetValue<string>()).ToList();
        Assert.Equal(Traces, calls.Count);
        Assert.All(calls, c => Assert.InRange(c.Count(), 1, 2));
    }

    private static async Task<SweepSnapshot?> TryGetAsync(ISweepGrain sweep)
    {
        try
        {
            return await sweep.GetAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return null;
        }
    }
}
