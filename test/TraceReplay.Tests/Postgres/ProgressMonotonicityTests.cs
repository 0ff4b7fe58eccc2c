using TraceReplay.Tests.Fixtures;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// Progress a client reads never goes back: a sweep's counts and spend, and each replay's progress in a trace's replay
/// list, polled throughout a SIGKILL of a silo and the start of a new one.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Postgres)]
public sealed class ProgressMonotonicityTests
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(4);

    private sealed record Observation(string Subject, string Figure, double Value, DateTimeOffset At, int Phase);

    [PostgresFact]
    public async Task ASweepsCountsAndEveryReplaysProgressNeverDecreaseThroughASiloKillAndRestart()
    {
        await using var cluster = await ClusterProcesses.CreateAsync(SiloFailoverTests.FastRecovery);
        if (cluster is null)
        {
            return;
        }

        // Slow enough (two replays at once, a second a call) that most of the sweep runs after the kill.
        cluster.Llm.Delay = TimeSpan.FromSeconds(1);
        var first = cluster.StartSilo();
        var second = cluster.StartSilo();
        await SiloFailoverTests.WaitForActiveSilosAsync(cluster.Db, cluster.ClusterId, 2, first, second);
        var api = cluster.StartApi();
        await cluster.WaitForDataAsync("/api/v1/sweeps", _ => true, GiveUpAfter, "the API to serve");
        var (tag, ids) = await cluster.IngestAsync(60, llmSpans: 2);
        string sweepId;
        using (var response = await cluster.Http.PostAsJsonAsync("/api/v1/sweeps", new { name = "monotonic", filter = new { tags = new[] { tag } }, maxInFlight = 2 }))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            sweepId = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["id"]!;
        }

        // A replay outside the sweep too, on a trace the list polling watches.
        using (var started = await cluster.Http.PostAsJsonAsync($"/api/v1/traces/{ids[^1]}/replays", new { }))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        var observations = new ConcurrentQueue<Observation>();
        var phase = 0;
        using var stop = new CancellationTokenSource();
        var poller = PollAsync(cluster, sweepId, [ids[0], ids[1], ids[^1]], observations, () => Volatile.Read(ref phase), stop.Token);

        await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => (int)s["counts"]!["completed"]! >= 10, GiveUpAfter, "a sixth of the sweep");
        first.Kill();
        Volatile.Write(ref phase, 1);
        cluster.StartSilo();
        var done = await cluster.WaitForDataAsync($"/api/v1/sweeps/{sweepId}", s => s["completedAt"] is not null, GiveUpAfter, "the sweep to finish");
        await cluster.WaitForDataAsync($"/api/v1/traces/{ids[^1]}/replays", l => l.AsArray().All(r => (string?)r!["status"] is "COMPLETED" or "FAILED"),
            GiveUpAfter, "the trace's replays to finish");
        Volatile.Write(ref phase, 2);
        await Task.Delay(500);   // a few last observations of the finished figures
        await stop.CancelAsync();
        await poller;

        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.Equal(60, (int)done["counts"]!["completed"]!);
        Assert.False(api.HasExited);
        var bySeries = observations.GroupBy(o => (o.Subject, o.Figure)).ToList();
        // The figures were read before the kill and while the sweep went on after it.
        var completed = bySeries.Single(g => g.Key.Figure == "completed").ToList();
        Assert.Contains(completed, o => o.Phase == 0);
        Assert.True(completed.Where(o => o.Phase == 1).Select(o => o.Value).Distinct().Count() > 1, "no progress was observed after the kill");
        Assert.Contains(bySeries, g => g.Key.Figure == "progress.completedSpans" && g.Any(o => o.Phase == 1));
        foreach (var series in bySeries)
        {
            var values = series.OrderBy(o => o.At).ToList();
            for (var i = 1; i < values.Count; i++)
            {
                Assert.True(values[i].Value >= values[i - 1].Value,
                    $"{series.Key.Subject} {series.Key.Figure} went from {values[i - 1].Value} to {values[i].Value} at {values[i].At:HH:mm:ss.fff} (phase {values[i].Phase})");
            }
        }
    }

    /// <summary>Every 150 ms: the sweep's counts and spend, and each watched trace's replays; refused or failed reads are skipped.</summary>
    private static async Task PollAsync(
        ClusterProcesses cluster, string sweepId, string[] traceIds, ConcurrentQueue<Observation> observations, Func<int> phase, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (await ReadAsync(cluster, $"/api/v1/sweeps/{sweepId}") is { } sweep)
            {
                var at = DateTimeOffset.UtcNow;
                foreach (var figure in (string[])["completed", "failed", "skipped"])
                {
                    observations.Enqueue(new Observation(sweepId, figure, (int)sweep["counts"]![figure]!, at, phase()));
                }

                var counts = sweep["counts"]!;
                observations.Enqueue(new Observation(sweepId, "finished", (int)counts["completed"]! + (int)counts["failed"]! + (int)counts["skipped"]!, at, phase()));
                observations.Enqueue(new Observation(sweepId, "spendUsd", (double)sweep["spendUsd"]!, at, phase()));
            }

            foreach (var traceId in traceIds)
            {
                if (await ReadAsync(cluster, $"/api/v1/traces/{traceId}/replays") is JsonArray replays)
                {
                    var at = DateTimeOffset.UtcNow;
                    observations.Enqueue(new Observation(traceId, "replays", replays.Count, at, phase()));
                    foreach (var replay in replays)
                    {
                        observations.Enqueue(new Observation((string)replay!["id"]!, "progress.completedSpans", (int)replay["progress"]!["completedSpans"]!, at, phase()));
                    }
                }
            }

            try
            {
                await Task.Delay(150, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<JsonNode?> ReadAsync(ClusterProcesses cluster, string path)
    {
        try
        {
            // A read that waits on a dead silo is dropped after 3 s, so the polling goes on.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            using var response = await cluster.Http.GetAsync(path, timeout.Token);
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())?["data"] : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
