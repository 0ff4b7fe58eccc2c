using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Operability;
using Xunit.Abstractions;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// Multi-process tests of a cluster on PostgreSQL with the shipped membership settings: a total outage, an API that
/// starts before the cluster, SIGTERM with LLM calls in flight, and PostgreSQL restarted mid-sweep.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class ClusterResilienceTests(ITestOutputHelper output)
{
    private const string Live = "/health/live";
    private const string Ready = "/health/ready";

    /// <summary>What issue 17 asks: a new silo serves within this of its start.</summary>
    private static readonly TimeSpan ServedWithin = TimeSpan.FromSeconds(60);

    /// <summary>When a wait for the first served request gives up: generous, and separate from <see cref="ServedWithin"/>.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(4);

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
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.OK, GiveUpAfter);

        var (_, traceIds) = await cluster.IngestAsync(replays, llmSpans: 2);
        var replayIds = new List<string>();
        foreach (var traceId in traceIds)
        {
            using var response = await cluster.Http.PostAsJsonAsync($"/api/v1/traces/{traceId}/replays", new { });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            replayIds.Add((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["id"]!);
        }

        await cluster.Llm.WaitForRequestsAsync(replays / 2, GiveUpAfter);
        first.Kill();
        second.Kill();

        // The API stays up and says so while no silo answers.
        Assert.Equal(HttpStatusCode.OK, await cluster.StatusAsync(Live));
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.ServiceUnavailable, GiveUpAfter);

        var replacement = cluster.StartSilo();
        var servedAfter = await TimeToFirstServedAsync(cluster, api, $"/api/v1/replays/{replayIds[0]}", checkLive: true);
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
        output.WriteLine($"first request served {servedAfter.TotalSeconds:0.0} s after the new silo started");
        Assert.True(servedAfter < ServedWithin, $"first request served {servedAfter.TotalSeconds:0.0} s after the new silo started");
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
        await WaitForStatusAsync(cluster, Live, HttpStatusCode.OK, GiveUpAfter);
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
        var servedAfter = await TimeToFirstServedAsync(cluster, api, "/api/v1/sweeps", checkLive: true);
        output.WriteLine($"first request served {servedAfter.TotalSeconds:0.0} s after the silo started");
        Assert.True(servedAfter < ServedWithin, $"first request served {servedAfter.TotalSeconds:0.0} s after the silo started");
        var (_, ids) = await cluster.IngestAsync(3, llmSpans: 1);
        await cluster.WaitForDataAsync($"/api/v1/traces/{ids[0]}", t => (string?)t["id"] == ids[0], TimeSpan.FromSeconds(10), "the ingested trace");
        Assert.False(api.HasExited);
    }

    [PostgresFact]
    public async Task RequestsBeforeTheApiReachesTheClusterAre503WithRetryAfterAndNothingIsLoggedAsUnhandled()
    {
        // An empty database: until the first silo migrates it, not even the catalog's tables exist.
        await using var cluster = await ClusterProcesses.CreateAsync(migrated: false);
        if (cluster is null)
        {
            return;
        }

        var api = cluster.StartApi();
        await WaitForStatusAsync(cluster, Live, HttpStatusCode.OK, GiveUpAfter);
        foreach (var request in (Func<HttpRequestMessage>[])[
            () => new(HttpMethod.Get, "/api/v1/models"),
            () => new(HttpMethod.Get, "/api/v1/traces"),
            () => new(HttpMethod.Get, "/api/v1/sweeps"),
            () => new(HttpMethod.Post, "/api/v1/traces") { Content = JsonContent.Create(Api.Batches.Of([])) }])
        {
            using var message = request();
            using var response = await cluster.Http.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{message.Method} {message.RequestUri} answered {(int)response.StatusCode}: {body}");
            Assert.Equal("2", response.Headers.RetryAfter?.ToString());
            Assert.Equal("SERVICE_UNAVAILABLE", (string?)JsonNode.Parse(body)!["error"]!["code"]);
            Assert.Contains("starting", (string?)JsonNode.Parse(body)!["error"]!["message"], StringComparison.Ordinal);
        }

        using (var ready = await cluster.Http.GetAsync(Ready))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("starting", (string?)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!["cluster"]!["description"], StringComparison.Ordinal);
        }

        cluster.StartSilo();
        await TimeToFirstServedAsync(cluster, api, "/api/v1/traces", checkLive: true);
        var (_, ids) = await cluster.IngestAsync(1, llmSpans: 1);
        await cluster.WaitForDataAsync($"/api/v1/traces/{ids[0]}", t => (string?)t["id"] == ids[0], TimeSpan.FromSeconds(30), "the ingested trace");
        Assert.DoesNotContain(api.Lines, line => line.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(api.Lines, line => line.Contains("ExceptionHandlerMiddleware", StringComparison.Ordinal));
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
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.OK, GiveUpAfter);
        var (tag, ids) = await cluster.IngestAsync(10, llmSpans: 1);
        var sweepId = await cluster.StartSweepAsync(tag);
        await cluster.Llm.WaitForRequestsAsync(3, GiveUpAfter);

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
    public async Task ASweepResumesWithinFiveSecondsOfARestartedPostgresAcceptingConnectionsAndRepeatsNoReceivedCall()
    {
        // The test's own server: stopping it must not disturb the tests that share the suite's.
        await using var postgres = await OwnPostgresServer.StartAsync();
        if (postgres is null)
        {
            return;
        }

        await using var cluster = await ClusterProcesses.CreateAsync(server: postgres.Server);
        const int traces = 300;
        const int spans = 3;
        cluster!.Llm.Delay = TimeSpan.FromMilliseconds(30);
        var silo = cluster.StartSilo();
        await SiloFailoverTests.WaitForActiveSilosAsync(cluster.Db, cluster.ClusterId, 1, silo);
        cluster.StartApi();
        await WaitForStatusAsync(cluster, Ready, HttpStatusCode.OK, GiveUpAfter);
        var (tag, ids) = await cluster.IngestAsync(traces, spans);
        var sweepId = await cluster.StartSweepAsync(tag);
        await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => (int)s["counts"]!["completed"]! >= traces / 4,
            GiveUpAfter, "a quarter of the sweep");

        // PostgreSQL restarted: a fast shutdown (every connection closed), down for the scenario's 10 s, started again.
        var inFlightAtStop = cluster.Llm.InFlight;
        await postgres.StopAsync();
        var callsAtStop = cluster.Llm.Requests.Count;
        await Task.Delay(TimeSpan.FromSeconds(10));
        var completedBefore = (int)(await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", _ => true, GiveUpAfter, "the sweep"))["counts"]!["completed"]!;
        var callsWhileDown = cluster.Llm.Requests.Count - callsAtStop;
        await postgres.StartAgainAsync();
        var accepting = await AcceptingSinceAsync(cluster.Db);

        // Progress as a client observes it, each observation timestamped; resumption is the first one past the stall.
        var resumedAt = (DateTimeOffset?)null;
        while (resumedAt is null)
        {
            var sweepNow = await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", _ => true, GiveUpAfter, "the sweep");
            if ((int)sweepNow["counts"]!["completed"]! > completedBefore)
            {
                resumedAt = DateTimeOffset.UtcNow;
            }

            Assert.True(DateTimeOffset.UtcNow - accepting < GiveUpAfter, $"the sweep did not advance after PostgreSQL came back.\n{cluster.Output()}");
            await Task.Delay(100);
        }

        var sweep = await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => s["completedAt"] is not null,
            GiveUpAfter, "the sweep to finish");
        Assert.Equal("COMPLETED", (string?)sweep["status"]);
        Assert.Equal(traces, (int)sweep["counts"]!["completed"]!);
        Assert.Equal(((long)traces, (long)traces), await cluster.ReplayTracesAsync(ids));
        var calls = cluster.Llm.Requests.Count;
        // At most the calls in flight at the stop are made twice; a silo's pool never has more than its activations in flight.
        Assert.True(calls <= traces * spans + Math.Max(inFlightAtStop, TraceReplay.Grains.Llm.LlmSpanWorker.ActivationsPerSilo),
            $"{calls} LLM calls for {traces * spans} spans ({inFlightAtStop} in flight at the stop, {callsWhileDown} made while PostgreSQL was down)");
        var resumedAfter = resumedAt.Value - accepting;
        output.WriteLine($"resumed {resumedAfter.TotalSeconds:0.00} s after PostgreSQL accepted connections; {calls} LLM calls for {traces * spans} spans, " +
            $"{inFlightAtStop} in flight at the stop, {callsWhileDown} made while it was down");
        Assert.True(resumedAfter < TimeSpan.FromSeconds(5), $"the sweep advanced {resumedAfter.TotalSeconds:0.0} s after PostgreSQL accepted connections again");
    }

    /// <summary>When PostgreSQL accepts a connection again (polled from now; pg_ctl -w has returned already).</summary>
    private static async Task<DateTimeOffset> AcceptingSinceAsync(string db)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(TestPostgres.Unpooled(db));
                await connection.OpenAsync();
                return DateTimeOffset.UtcNow;
            }
            catch (NpgsqlException) when (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// How long after now (a silo was just started) GET <paramref name="path"/> is first answered 200, polling; the API must
    /// not exit meanwhile and, with <paramref name="checkLive"/>, /health/live answers 200 throughout. Gives up only after
    /// <see cref="GiveUpAfter"/>, well past <see cref="ServedWithin"/>, so a CPU-starved machine reports the figure it took
    /// instead of a timeout; the caller asserts the figure.
    /// </summary>
    private static async Task<TimeSpan> TimeToFirstServedAsync(ClusterProcesses cluster, SiloProcess api, string path, bool checkLive)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await cluster.StatusAsync(path) == HttpStatusCode.OK)
            {
                return clock.Elapsed;
            }

            if (checkLive)
            {
                Assert.Equal(HttpStatusCode.OK, await cluster.StatusAsync(Live));
            }

            Assert.False(api.HasExited, $"The API exited.\n{cluster.Output()}");
            Assert.True(clock.Elapsed < GiveUpAfter, $"No request served within {GiveUpAfter.TotalSeconds:0} s of the silo's start.\n{cluster.Output()}");
            await Task.Delay(200);
        }
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
