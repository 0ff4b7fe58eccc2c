using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.LoadDriver;

/// <summary>What the driver does to the system through its public REST API.</summary>
public sealed class Workload(HttpClient http)
{
    public const string Model = "gpt-4o-mini";

    public static HttpClient Client(string apiUrl) => new()
    {
        BaseAddress = new Uri(apiUrl),
        Timeout = TimeSpan.FromMinutes(2),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", SystemUnderTest.ApiKey) },
    };

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/api/v1/models")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (watch.Elapsed < timeout)
            {
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"The API did not answer within {timeout}.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>An enabled deterministic evaluator, so every new trace (replays too) runs the evaluation pipeline.</summary>
    public async Task CreateEvaluatorAsync()
    {
        var response = await http.PostAsJsonAsync("/api/v1/evaluators", new JsonObject
        {
            ["name"] = "bench-contains", ["type"] = "CONTAINS", ["config"] = new JsonObject { ["value"] = "answer" }, ["enabled"] = true,
        });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Ingests <paramref name="traces"/> traces of a root span and <paramref name="llmSpans"/> LLM spans each (plus
    /// <paramref name="otherSpans"/> tool spans), <paramref name="perBatch"/> traces a batch, from <paramref name="parallel"/>
    /// clients. Returns the trace ids and the seconds it took.
    /// </summary>
    private const int MaxBatchEvents = 1000;

    public async Task<(List<string> TraceIds, double Seconds)> IngestAsync(int traces, int llmSpans, int otherSpans, int perBatch, int parallel)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, traces).Select(i => $"bench-{run}-{i}").ToList();
        // Stay within the API's default limit of events per request (TraceReplay:Limits:MaxBatchEvents).
        perBatch = Math.Clamp(perBatch, 1, Math.Max(1, MaxBatchEvents / (2 + llmSpans + otherSpans)));
        var batches = ids.Chunk(perBatch).Select(chunk => Batch(chunk, llmSpans, otherSpans)).ToList();
        var done = new double[batches.Count];
        var finished = -1;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (body, ct) =>
        {
            using var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            var response = await http.PostAsync("/api/v1/traces", content, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Ingestion answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }

            done[Interlocked.Increment(ref finished)] = watch.Elapsed.TotalSeconds;
        });
        var seconds = watch.Elapsed.TotalSeconds;
        // How the rate moved through the run (a warm-up still under way shows as slow early tenths), on stderr.
        if (done.Length >= 10)
        {
            var tenths = Enumerable.Range(0, 10).Select(t =>
            {
                var (from, to) = (t * done.Length / 10, (t + 1) * done.Length / 10 - 1);
                var start = from == 0 ? 0 : done[from - 1];
                return $"{(to - from + 1) * perBatch / Math.Max(done[to] - start, 1e-6):0}";
            });
            Console.Error.WriteLine($"  traces/s by tenth of the run: {string.Join(" ", tenths)}");
        }

        return (ids, seconds);
    }

    public async Task<string> StartSweepAsync(IReadOnlyList<string> traceIds, int? maxInFlight)
    {
        var body = new JsonObject
        {
            ["name"] = "benchmark",
            ["filter"] = new JsonObject { ["traceIds"] = new JsonArray([.. traceIds.Select(id => (JsonNode)id)]) },
        };
        if (maxInFlight is { } window)
        {
            body["maxInFlight"] = window;
        }

        var response = await http.PostAsJsonAsync("/api/v1/sweeps", body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Starting the sweep answered {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text)!["data"]!["id"]!.GetValue<string>();
    }

    public async Task<JsonNode> GetSweepAsync(string sweepId) =>
        JsonNode.Parse(await http.GetStringAsync($"/api/v1/sweeps/{sweepId}"))!["data"]!;

    public async Task<string?> FirstFailureAsync(string sweepId) =>
        JsonNode.Parse(await http.GetStringAsync($"/api/v1/sweeps/{sweepId}/results"))!["data"]!["failures"]?.AsArray().FirstOrDefault()?.ToJsonString();

    /// <summary>Sequential GETs a user's dashboard would make, each timed, until <paramref name="stop"/>.</summary>
    public async Task<List<double>> ProbeApiAsync(string sweepId, CancellationToken stop)
    {
        var latencies = new List<double>();
        var startedAt = new List<DateTimeOffset>();
        string[] paths = [$"/api/v1/sweeps/{sweepId}", "/api/v1/traces?limit=20", "/api/v1/sweeps"];
        try
        {
            await ProbeLoopAsync(paths, latencies, startedAt, stop);
        }
        finally
        {
            // Which read is slow, when one is: p99 per path on stderr (the result keeps the overall figure).
            for (var p = 0; p < paths.Length; p++)
            {
                var own = latencies.Where((_, i) => i % paths.Length == p).ToList();
                Console.Error.WriteLine($"  probe {paths[p].Split('?')[0].Replace(sweepId, "{id}")}: p50 {Percentile(own, 0.5):0} ms, p99 {Percentile(own, 0.99):0} ms, max {(own.Count > 0 ? own.Max() : double.NaN):0} ms");
            }

            // When the slowest reads started, to line them up with the silo's counters (GC pauses, CPU) of the same second.
            var slowest = latencies.Select((ms, i) => (ms, i)).OrderByDescending(r => r.ms).Take(Math.Max(5, latencies.Count / 100));
            Console.Error.WriteLine("  slowest reads: " + string.Join(", ", slowest.OrderBy(r => r.i).Select(r =>
                $"{startedAt[r.i]:HH:mm:ss.f} {paths[r.i % paths.Length].Split('?')[0].Replace(sweepId, "{id}")} {r.ms:0}")));
        }

        return latencies;
    }

    private async Task ProbeLoopAsync(string[] paths, List<double> latencies, List<DateTimeOffset> startedAt, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            startedAt.Add(DateTimeOffset.Now);
            var watch = Stopwatch.StartNew();
            try
            {
                using var response = await http.GetAsync(paths[i % paths.Length], CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                latencies.Add(watch.Elapsed.TotalMilliseconds);
            }
            catch (HttpRequestException)
            {
                latencies.Add(watch.Elapsed.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private static byte[] Batch(IEnumerable<string> traceIds, int llmSpans, int otherSpans)
    {
        var events = new JsonArray();
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var at = now.ToString("O");
        var end = now.AddSeconds(2).ToString("O");
        foreach (var id in traceIds)
        {
            events.Add(Event("trace-create", new JsonObject { ["id"] = id, ["name"] = "bench-agent", ["tags"] = new JsonArray("bench"), ["timestamp"] = at }));
            events.Add(Event("span-create", new JsonObject
            {
                ["trace_id"] = id, ["id"] = "root", ["name"] = "agent", ["type"] = "AGENT", ["start_time"] = at, ["end_time"] = end,
            }));
            for (var s = 0; s < llmSpans + otherSpans; s++)
            {
                var llm = s < llmSpans;
                events.Add(Event("span-create", new JsonObject
                {
                    ["trace_id"] = id, ["id"] = $"s{s}", ["parent_span_id"] = "root", ["name"] = llm ? $"llm-{s}" : $"tool-{s}",
                    ["type"] = llm ? "LLM" : "TOOL", ["start_time"] = at, ["end_time"] = end,
                    ["model"] = llm ? Model : null,
                    ["input"] = new JsonObject
                    {
                        ["messages"] = new JsonArray(
                            new JsonObject { ["role"] = "system", ["content"] = "You are a concise support agent." },
                            new JsonObject { ["role"] = "user", ["content"] = $"Question {s} of trace {id}: where is my order?" }),
                    },
                    ["output"] = $"recorded answer {s}",
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 40, ["completion_tokens"] = 10 },
                }));
            }
        }

        return Encoding.UTF8.GetBytes(new JsonObject { ["batch"] = events }.ToJsonString());
    }

    private static JsonObject Event(string type, JsonObject body) =>
        new() { ["id"] = Guid.NewGuid().ToString("N"), ["type"] = type, ["timestamp"] = DateTimeOffset.UtcNow.ToString("O"), ["body"] = body };

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
