using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Operability;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// Multi-process tests of a cluster on PostgreSQL with the shipped membership settings: a total outage, an API that
/// starts before the cluster, SIGTERM with LLM calls in flight, and PostgreSQL going away mid-sweep.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class ClusterResilienceTests
{
    private const string Live = "/health/live";
    private const string Ready = "/health/ready";

    /// <summary>Replays without a sweep are re-driven by their reminder; 5 s keeps the test short (the default is 1 min).</summary>
    private static readonly Dictionary<string, string?> ShortReminders = new() { ["TraceReplay:Replays:ReminderPeriod"] = "00:00:05" };

    [PostgresFact]
    public async Task AfterEverySiloIsKilledANewSiloOnNewPortsFinishesEveryReplayOnceAndTheClientApiReconnects()
    {
        await using var cluster = await ClusterProcesses.CreateAsync(ShortReminders);
        if (cluster is null)
        {
            return;
        }

        const int replays = 50;
        cluster.Llm.Delay = TimeSpan.FromMilliseconds(500);
        var first = cluster.StartSilo();
        var second = cluster.StartSilo();
        await SiloFailoverTests.WaitForActiveSilosAsync(cluster.Db, cluster.ClusterId, 2, first, second);
        var api = cluster.StartApi();
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        var (_, traceIds) = await cluster.IngestAsync(replays, llmSpans: 2);
        var replayIds = new List<string>();
        foreach (var traceId in traceIds)
        {
            using var response = await cluster.Http.PostAsJsonAsync($"/api/v1/traces/{traceId}/replays", new { });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            replayIds.Add((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["id"]!);
        }

        await cluster.Llm.WaitForRequestsAsync(replays / 2, TimeSpan.FromSeconds(60));
        first.Kill();
        second.Kill();

        // The API stays up and says so while no silo answers.
        Assert.Equal(HttpStatusCode.OK, await cluster.StatusAsync(Live));
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60));

        var replacement = cluster.StartSilo();
        var startedAt = Stopwatch.StartNew();
        var liveFailures = 0;
        while (await cluster.StatusAsync(Ready) != HttpStatusCode.OK)
        {
            liveFailures += await cluster.StatusAsync(Live) == HttpStatusCode.OK ? 0 : 1;
            Assert.True(startedAt.Elapsed < TimeSpan.FromSeconds(60), $"No request served within 60 s of the new silo's start.\n{cluster.Output()}");
            Assert.False(api.HasExited, $"The API exited.\n{cluster.Output()}");
            await Task.Delay(200);
        }

        var servedAfter = startedAt.Elapsed;
        Assert.Equal(0, liveFailures);
        foreach (var replayId in replayIds)
        {
            await cluster.WaitForDataAsync($"/api/v1/replays/{replayId}", r => (string?)r["status"] is "COMPLETED" or "FAILED",
                TimeSpan.FromSeconds(120), $"replay {replayId} to finish");
        }

        foreach (var replayId in replayIds)
        {
            var replay = await cluster.WaitForDataAsync($"/api/v1/replays/{replayId}", _ => true, TimeSpan.FromSeconds(10), "the replay");
            Assert.Equal("COMPLETED", (string?)replay["status"]);
        }

        Assert.False(api.HasExited);
        Assert.False(replacement.HasExited);
        Assert.Equal((replays, replays), await cluster.ReplayTracesAsync(traceIds));
        Assert.True(servedAfter < TimeSpan.FromSeconds(60), $"first request served {servedAfter.TotalSeconds:0.0} s after the new silo started");
    }

    [PostgresFact]
    public async Task AnApiStartedBeforeAnySiloIsLiveThroughoutAndServesOnceASiloStarts30SecondsLater()
    {
        await using var cluster = await ClusterProcesses.CreateAsync();
        if (cluster is null)
        {
            return;
        }

        var api = cluster.StartApi();
        await WaitForStatusAsync(cluster, Live, HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await cluster.StatusAsync(Ready));

        // The scenario: the cluster arrives half a minute after the API (no synchronisation is waited for here).
        var alone = Stopwatch.StartNew();
        while (alone.Elapsed < TimeSpan.FromSeconds(30))
        {
            Assert.Equal(HttpStatusCode.OK, await cluster.StatusAsync(Live));
            Assert.False(api.HasExited, $"The API exited without a cluster.\n{cluster.Output()}");
            await Task.Delay(1000);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await cluster.StatusAsync(Ready));
        using (var refused = await cluster.Http.GetAsync("/api/v1/replays/r-unknown"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        cluster.StartSilo();
        var started = Stopwatch.StartNew();
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(60));
        var (_, ids) = await cluster.IngestAsync(3, llmSpans: 1);
        await cluster.WaitForDataAsync($"/api/v1/traces/{ids[0]}", t => (string?)t["id"] == ids[0], TimeSpan.FromSeconds(10), "the ingested trace");
        Assert.False(api.HasExited);
    }

    [PostgresFact]
    public async Task SigtermDuringASweepAgainstAModelThatNeverAnswersExitsWithinTheShutdownTimeoutAndTheSweepResumesAfterRestart()
    {
        await using var cluster = await ClusterProcesses.CreateAsync(ShortReminders);
        if (cluster is null)
        {
            return;
        }

        cluster.Llm.Delay = TimeSpan.FromMinutes(10);
        var silo = cluster.StartSilo();
        await SiloFailoverTests.WaitForActiveSilosAsync(cluster.Db, cluster.ClusterId, 1, silo);
        cluster.StartApi();
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        var (tag, ids) = await cluster.IngestAsync(10, llmSpans: 1);
        var sweepId = await cluster.StartSweepAsync(tag);
        await cluster.Llm.WaitForRequestsAsync(3, TimeSpan.FromSeconds(60));

        var clock = Stopwatch.StartNew();
        silo.Terminate();
        var exited = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var took = clock.Elapsed;
        Assert.True(exited && took < TimeSpan.FromSeconds(30), $"SIGTERM to exit took {took.TotalSeconds:0.0} s (exited: {exited}).\n{silo.Output}");

        // The replays were left unfinished, not failed: a new silo finishes the sweep once the model answers.
        cluster.Llm.Delay = TimeSpan.Zero;
        cluster.StartSilo();
        var sweep = await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => s["completedAt"] is not null,
            TimeSpan.FromSeconds(120), "the sweep to finish on the new silo");
        Assert.Equal("COMPLETED", (string?)sweep["status"]);
        Assert.Equal(10, (int)sweep["counts"]!["completed"]!);
        Assert.Equal((10L, 10L), await cluster.ReplayTracesAsync(ids));
    }

    [PostgresFact]
    public async Task ASweepResumesWithinFiveSecondsOfPostgresComingBackAndRepeatsNoReceivedCall()
    {
        await using var cluster = await ClusterProcesses.CreateAsync();
        if (cluster is null)
        {
            return;
        }

        const int traces = 300;
        const int spans = 3;
        cluster.Llm.Delay = TimeSpan.FromMilliseconds(30);
        var direct = new NpgsqlConnectionStringBuilder(cluster.Db);
        await using var relay = new TcpRelay(direct.Host!, direct.Port);
        relay.Start();
        // The silo reaches PostgreSQL through the relay; a failed connection attempt gives up after 2 s.
        var throughRelay = new NpgsqlConnectionStringBuilder(cluster.Db) { Host = "127.0.0.1", Port = relay.Port, Timeout = 2 }.ConnectionString;
        var silo = cluster.StartSilo(throughRelay);
        await SiloFailoverTests.WaitForActiveSilosAsync(cluster.Db, cluster.ClusterId, 1, silo);
        cluster.StartApi();
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        var (tag, ids) = await cluster.IngestAsync(traces, spans);
        var sweepId = await cluster.StartSweepAsync(tag);
        await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => (int)s["counts"]!["completed"]! >= traces / 4,
            TimeSpan.FromSeconds(120), "a quarter of the sweep");

        // PostgreSQL away for 10 s: every connection dropped, new ones refused.
        await relay.StopAsync();
        var callsAtStop = cluster.Llm.Requests.Count;
        var stalled = Stopwatch.StartNew();
        while (stalled.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(500);
        }

        var completedBefore = (int)(await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", _ => true, TimeSpan.FromSeconds(10), "the sweep"))["counts"]!["completed"]!;
        var inFlightAtStop = cluster.Llm.Requests.Count - callsAtStop;
        relay.Start();
        var back = Stopwatch.StartNew();
        await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => (int)s["counts"]!["completed"]! > completedBefore,
            TimeSpan.FromSeconds(60), "the sweep to advance after PostgreSQL came back");
        var resumedAfter = back.Elapsed;

        var sweep = await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => s["completedAt"] is not null,
            TimeSpan.FromSeconds(180), "the sweep to finish");
        Assert.Equal("COMPLETED", (string?)sweep["status"]);
        Assert.Equal(traces, (int)sweep["counts"]!["completed"]!);
        Assert.Equal(((long)traces, (long)traces), await cluster.ReplayTracesAsync(ids));
        var calls = cluster.Llm.Requests.Count;
        // At most the calls in flight at the stop (one pool's worth) are made twice.
        Assert.True(calls <= traces * spans + TraceReplay.Grains.Llm.LlmSpanWorker.ActivationsPerSilo,
            $"{calls} LLM calls for {traces * spans} spans ({inFlightAtStop} made while PostgreSQL was away)");
        Assert.True(resumedAfter < TimeSpan.FromSeconds(5), $"the sweep advanced {resumedAfter.TotalSeconds:0.0} s after PostgreSQL came back");
    }

    private static async Task WaitForStatusAsync(ClusterProcesses cluster, string path, HttpStatusCode status, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (await cluster.StatusAsync(path) != status)
        {
            Assert.True(clock.Elapsed < timeout, $"{path} did not answer {(int)status} within {timeout.TotalSeconds:0} s.\n{cluster.Output()}");
            await Task.Delay(200);
        }
    }
}
