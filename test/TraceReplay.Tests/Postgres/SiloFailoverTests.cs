using System.Diagnostics;
using TraceReplay.Grains;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class SiloFailoverTests
{
    private const int Replays = 50;
    private const int LlmSpansPerTrace = 2;
    private static readonly TimeSpan LlmDelay = TimeSpan.FromMilliseconds(600);

    /// <summary>Fast failure detection and a short reminder period, so a dead silo's replays move within seconds.</summary>
    internal static readonly Dictionary<string, string?> FastRecovery = new()
    {
        ["Orleans:Membership:ProbeTimeout"] = "00:00:01",
        ["Orleans:Membership:NumMissedProbesLimit"] = "2",
        ["Orleans:Membership:NumVotesForDeathDeclaration"] = "1",
        ["Orleans:Membership:TableRefreshTimeout"] = "00:00:01",
        ["Orleans:Membership:IAmAliveTablePublishTimeout"] = "00:00:02",
        ["Orleans:Membership:DeathVoteExpirationTimeout"] = "00:00:10",
        ["TraceReplay:Replays:ReminderPeriod"] = "00:00:02",
    };

    [PostgresFact]
    public async Task ReplaysRunningOnAKilledSiloCompleteOnTheSurvivorWithoutRepeatingFinishedCalls()
    {
        var db = await TestPostgres.CreateMigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await using var llm = await FakeOpenAiServer.StartAsync();
        llm.Delay = LlmDelay;
        var clusterId = "failover-" + Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string?>(FakeLlmConfiguration.For(llm));
        foreach (var (key, value) in FastRecovery)
        {
            settings[key] = value;
        }

        using var victim = SiloProcess.Start(PostgresSilo.SiloSettings(db, clusterId, settings));
        using var survivor = SiloProcess.Start(PostgresSilo.SiloSettings(db, clusterId, settings));
        await WaitForActiveSilosAsync(db, clusterId, 2, victim, survivor);
        using var clientHost = await PostgresSilo.StartClientAsync(db, clusterId);
        var client = clientHost.Client();

        // Each LLM span asks a question no other span asks, so the fake's requests name the span they replay.
        var traceIds = Enumerable.Range(0, Replays).Select(i => $"fo-{i:D2}-{Guid.NewGuid():N}").ToList();
        await Task.WhenAll(traceIds.Select(id => client.GetGrain<ITraceGrain>(id).IngestAsync(Trace(id))));
        var started = await Task.WhenAll(traceIds.Select(id => client.GetGrain<ITraceGrain>(id).StartReplayAsync(ReplayOverrides.None)));
        var replayIds = started.Select(s => s.Replay!.Id).ToList();

        await Eventually.ReturnsAsync(() => Task.FromResult(llm.Requests.Count), n => n >= Replays * LlmSpansPerTrace / 2,
            TimeSpan.FromSeconds(60), "half of the LLM calls to arrive");
        var killedAt = DateTimeOffset.UtcNow;
        victim.Kill();
        var requestsAtKill = llm.Requests.Count;

        var finished = await Task.WhenAll(replayIds.Select(id => Eventually.ReturnsAsync(
            () => TryGetAsync(client.GetGrain<IReplayGrain>(id)),
            r => r?.Status is ReplayStatus.Completed or ReplayStatus.Failed,
            TimeSpan.FromSeconds(90), $"replay {id} to finish after the kill; survivor output:\n{survivor.Output}")));

        Assert.All(finished, r => Assert.Equal(ReplayStatus.Completed, r!.Status));
        Assert.True(requestsAtKill < Replays * LlmSpansPerTrace, "The silo was killed after every call had been made.");
        var replayTraces = await TestPostgres.ScalarAsync<long>(db,
            $"SELECT count(*) FROM trace_catalog WHERE replay_of_trace_id IN ({string.Join(',', traceIds.Select(id => $"'{id}'"))})");
        Assert.Equal(Replays, replayTraces);
        Assert.Equal(replayIds.Order(), finished.Select(r => r!.Id).Order());

        // A call answered (and so persisted) well before the kill is never made again; any other call at most twice.
        var bySpan = llm.Requests.GroupBy(SpanKey).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(Replays * LlmSpansPerTrace, bySpan.Count);
        var surelyPersisted = killedAt - LlmDelay - TimeSpan.FromSeconds(1);
        var finishedBeforeKill = bySpan.Where(s => s.Value[0].ReceivedAt < surelyPersisted).ToList();
        Assert.NotEmpty(finishedBeforeKill);
        Assert.All(finishedBeforeKill, s => Assert.Single(s.Value));
        Assert.All(bySpan, s => Assert.InRange(s.Value.Count, 1, 2));
    }

    private static TraceIngest Trace(string traceId)
    {
        var spans = new List<SpanData> { SampleTraces.Other("root", null, SpanType.Chain, 0, 5000, "\"go\"", "\"done\"") };
        for (var i = 0; i < LlmSpansPerTrace; i++)
        {
            spans.Add(SampleTraces.Llm($"l{i}", "root", i * 1000, i * 1000 + 900,
                SampleTraces.Messages(("user", $"{traceId}/l{i}")), $"\"answer {i}\"", "gpt-4o-mini"));
        }

        return new TraceIngest(SampleTraces.Header("failover"), spans);
    }

    private static string SpanKey(FakeRequest request) =>
        request.Body["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();

    /// <summary>While the dead silo is not yet declared dead, calls to its grains fail or time out: ask again.</summary>
    internal static async Task<ReplaySnapshot?> TryGetAsync(IReplayGrain replay)
    {
        try
        {
            return await replay.GetAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return null;
        }
    }

    internal static async Task WaitForActiveSilosAsync(string db, string clusterId, int count, params SiloProcess[] silos)
    {
        var clock = Stopwatch.StartNew();
        while (await TestPostgres.ScalarAsync<long>(db, $"SELECT count(*) FROM orleans_silo WHERE cluster_id = '{clusterId}' AND status = 3") < count)
        {
            // Generous: silos join through a durable PostgreSQL (fsync on), on a machine the whole suite shares.
            if (clock.Elapsed > TimeSpan.FromSeconds(120) || silos.Any(s => s.HasExited))
            {
                Assert.Fail($"Silos did not become active:\n{string.Join("\n---\n", silos.Select(s => s.Output))}");
            }

            await Task.Delay(200);
        }
    }
}
