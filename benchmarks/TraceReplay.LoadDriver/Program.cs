using System.Diagnostics;
using System.Text.Json;
using TraceReplay.LoadDriver;

// The end-to-end load driver. Usage (scripts/benchmark.sh runs the whole suite):
//   sweep  --id P1 --latency-ms 100 --traces 300 [--llm-spans 3] [--silos 1] [--postgres <conn>] [--max-in-flight N] [--warmup N] --out results.jsonl
//          (--warmup: traces replayed in an unmeasured sweep first; default a fifth of --traces, at most 500)
//   ingest --id P3 --batches 40 [--traces-per-batch 50] [--spans 20] [--parallel 8] [--warmup N] --postgres <conn> --out results.jsonl
//          (--warmup: traces ingested unmeasured first; default a fifth of the measured traces, at least 500)
//   report --results results.jsonl [--baseline before.jsonl] --markdown RESULTS.md [--note "a line about the run"]
var command = args.FirstOrDefault() ?? "help";
var options = Options.Parse(args.Skip(1));
switch (command)
{
    case "sweep":
        await Record(options, await Scenarios.SweepAsync(options));
        return 0;
    case "ingest":
        await Record(options, await Scenarios.IngestAsync(options));
        return 0;
    case "report":
        await Report.WriteAsync(options.Get("results")!, options.Get("baseline"), options.Get("markdown")!, options.Get("note"));
        return 0;
    default:
        Console.Error.WriteLine("usage: TraceReplay.LoadDriver sweep|ingest|report [--option value]...; see Program.cs");
        return 2;
}

static async Task Record(Options options, ScenarioResult result)
{
    var line = JsonSerializer.Serialize(result, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    Console.WriteLine(line);
    if (options.Get("out") is { } path)
    {
        await File.AppendAllTextAsync(path, line + Environment.NewLine);
    }
}

namespace TraceReplay.LoadDriver
{
    /// <summary>One measured scenario: what ran and every figure it produced (NaN where a figure does not apply).</summary>
    public sealed record ScenarioResult(
        string Id, string Storage, int Silos, int LatencyMs, int Traces, int LlmSpansPerTrace, int? MaxInFlight, string Outcome,
        double Seconds, double LlmCallsPerSecond, double ReplaysPerSecond, double ReplayedSpansPerSecond, double ApiP99Ms,
        double PeakSiloMiB, double IngestSpansPerSecond, int Failed, int PeakLlmInFlight);

    public sealed class Options(Dictionary<string, string> values)
    {
        public static Options Parse(IEnumerable<string> args)
        {
            var list = args.ToList();
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < list.Count; i += 2)
            {
                values[list[i].TrimStart('-')] = list[i + 1];
            }

            return new Options(values);
        }

        public string? Get(string name) => values.GetValueOrDefault(name);

        public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v) : fallback;

        public static string RepositoryRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TraceReplay.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Repository root (TraceReplay.sln) not found.");
        }
    }

    public static class Scenarios
    {
        /// <summary>Ingest traces, then replay them all in one sweep while a probe times API reads.</summary>
        public static async Task<ScenarioResult> SweepAsync(Options o)
        {
            var id = o.Get("id") ?? "sweep";
            var latency = o.Int("latency-ms", 100);
            var traces = o.Int("traces", 300);
            var llmSpans = o.Int("llm-spans", 3);
            var silos = o.Int("silos", 1);
            var maxInFlight = o.Get("max-in-flight") is { } w ? int.Parse(w) : (int?)null;
            var postgres = o.Get("postgres");
            var timeout = TimeSpan.FromSeconds(o.Int("timeout-s", 900));
            var warmup = o.Int("warmup", Math.Min(traces / 5, 500));

            await using var llm = await FakeLlmServer.StartAsync(TimeSpan.FromMilliseconds(latency));
            await using var sut = await SystemUnderTest.StartAsync(Options.RepositoryRoot(), postgres, silos, llm.BaseUrl, Settings(o));
            using var http = Workload.Client(sut.ApiUrl);
            var workload = new Workload(http);
            await workload.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            await workload.CreateEvaluatorAsync();
            Log($"{id}: ingesting {traces} traces x {llmSpans} LLM spans (+{warmup} for the warm-up sweep)");
            var (ids, _) = await workload.IngestAsync(traces, llmSpans, otherSpans: 0, perBatch: 50, parallel: 4);
            if (warmup > 0)
            {
                // A first, unmeasured sweep over other traces: the JIT's tiering, connection pools and caches settle
                // before the measured one, as BenchmarkDotNet's warm-up does for the micro-benchmarks.
                var (warmIds, _) = await workload.IngestAsync(warmup, llmSpans, otherSpans: 0, perBatch: 50, parallel: 4);
                var warmSweep = await workload.StartSweepAsync(warmIds, maxInFlight);
                while ((await workload.GetSweepAsync(warmSweep))["status"]!.GetValue<string>() is "PENDING" or "RUNNING")
                {
                    await Task.Delay(250);
                }
            }

            llm.Reset();
            var sweepId = await workload.StartSweepAsync(ids, maxInFlight);
            using var stopProbe = new CancellationTokenSource();
            var probe = workload.ProbeApiAsync(sweepId, stopProbe.Token);
            var watch = Stopwatch.StartNew();
            var outcome = "TIMEOUT";
            System.Text.Json.Nodes.JsonNode sweep;
            while (true)
            {
                sweep = await workload.GetSweepAsync(sweepId);
                var status = sweep["status"]!.GetValue<string>();
                if (status is not ("PENDING" or "RUNNING"))
                {
                    outcome = status;
                    break;
                }

                if (watch.Elapsed > timeout)
                {
                    break;
                }

                await Task.Delay(250);
            }

            await stopProbe.CancelAsync();
            var latencies = await probe;
            var completed = sweep["counts"]!["completed"]!.GetValue<int>();
            var failed = sweep["counts"]!["failed"]!.GetValue<int>();
            var seconds = sweep["completedAt"] is { } end && sweep["startedAt"] is { } start
                ? (end.GetValue<DateTimeOffset>() - start.GetValue<DateTimeOffset>()).TotalSeconds
                : watch.Elapsed.TotalSeconds;
            if (failed > 0)
            {
                Log($"{id}: {failed} replays failed; the first: {await workload.FirstFailureAsync(sweepId)}");
            }

            var result = new ScenarioResult(
                id, postgres is null ? "memory" : "postgres", silos, latency, traces, llmSpans, maxInFlight, outcome, seconds,
                SteadyRate(llm.AnsweredAt()), completed / seconds, completed * llmSpans / seconds, Workload.Percentile(latencies, 0.99),
                sut.SiloProcesses.Max(SystemUnderTest.PeakMemoryMiB), double.NaN, failed, llm.PeakInFlight);
            Log($"{id}: {outcome} in {seconds:0.0} s; {result.LlmCallsPerSecond:0.0} LLM calls/s steady, {result.ReplayedSpansPerSecond:0} spans/s, p99 {result.ApiP99Ms:0} ms over {latencies.Count} reads, peak {result.PeakSiloMiB:0} MiB");
            return result;
        }

        /// <summary>Batch ingestion only: spans per second through POST /api/v1/traces.</summary>
        public static async Task<ScenarioResult> IngestAsync(Options o)
        {
            var id = o.Get("id") ?? "ingest";
            var batches = o.Int("batches", 40);
            var perBatch = o.Int("traces-per-batch", 50);
            var spans = o.Int("spans", 20);
            var parallel = o.Int("parallel", 8);
            var postgres = o.Get("postgres");
            await using var llm = await FakeLlmServer.StartAsync(TimeSpan.Zero);
            await using var sut = await SystemUnderTest.StartAsync(Options.RepositoryRoot(), postgres, o.Int("silos", 1), llm.BaseUrl, Settings(o));
            using var http = Workload.Client(sut.ApiUrl);
            var workload = new Workload(http);
            await workload.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            // Warm-up, unmeasured, so the JIT's tiering and the pools settle.
            await workload.IngestAsync(o.Int("warmup", Math.Max(500, batches * perBatch / 5)), llmSpans: spans / 2, otherSpans: spans - 1 - spans / 2, perBatch, parallel);
            var (ids, seconds) = await workload.IngestAsync(batches * perBatch, llmSpans: spans / 2, otherSpans: spans - 1 - spans / 2, perBatch, parallel);
            var rate = ids.Count * spans / seconds;
            Log($"{id}: {ids.Count * spans} spans in {seconds:0.00} s: {rate:0} spans/s");
            return new ScenarioResult(id, postgres is null ? "memory" : "postgres", o.Int("silos", 1), 0, ids.Count, spans / 2, null, "COMPLETED",
                seconds, double.NaN, double.NaN, double.NaN, double.NaN, sut.SiloProcesses.Max(SystemUnderTest.PeakMemoryMiB), rate, 0, 0);
        }

        /// <summary>
        /// LLM answers per second between the 5th and the 95th percentile answer: the pool's steady rate, without the
        /// ramp-up and the tail of the last replays.
        /// </summary>
        private static double SteadyRate(long[] answeredAt)
        {
            if (answeredAt.Length < 20)
            {
                return double.NaN;
            }

            var (first, last) = ((int)(answeredAt.Length * 0.05), (int)(answeredAt.Length * 0.95));
            return (last - first) / TimeProvider.System.GetElapsedTime(answeredAt[first], answeredAt[last]).TotalSeconds;
        }

        /// <summary>Extra settings for the system as --set Key=Value,Key=Value (environment-variable names).</summary>
        private static Dictionary<string, string> Settings(Options o) =>
            (o.Get("set") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);

        private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
    }
}
