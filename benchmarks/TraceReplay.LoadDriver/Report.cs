using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TraceReplay.LoadDriver;

/// <summary>Turns the driver's JSON lines into benchmarks/results/RESULTS.md: the targets table, the details and the machine.</summary>
public static class Report
{
    private sealed record Target(string Id, string Scenario, string Figure, string Goal, Func<Func<string, ScenarioResult?>, double?> Measure, Func<double, bool> Met, string Format);

    private static readonly Target[] Targets =
    [
        new("P1", "P1-memory-1", "LLM calls/s at 100 ms, in memory, 1 silo", "≥ 29.1 (0.97 × 3 / 0.1 s)", r => r("P1-memory-1")?.LlmCallsPerSecond, v => v >= 29.1, "0.0"),
        new("P1", "P1-postgres-1", "LLM calls/s at 100 ms, PostgreSQL, 1 silo", "≥ 29.1 (0.97 × 3 / 0.1 s)", r => r("P1-postgres-1")?.LlmCallsPerSecond, v => v >= 29.1, "0.0"),
        new("P1", "P1-postgres-2", "LLM calls/s at 100 ms, PostgreSQL, 2 silos", "≥ 57.0 (0.95 × 6 / 0.1 s)", r => r("P1-postgres-2")?.LlmCallsPerSecond, v => v >= 57.0, "0.0"),
        new("P2", "P2-memory", "replayed LLM spans/s at 0 ms, in memory", "≥ 1,450", r => r("P2-memory")?.ReplayedSpansPerSecond, v => v >= 1450, "#,0"),
        new("P2", "P2-postgres", "replayed LLM spans/s at 0 ms, PostgreSQL", "≥ 725", r => r("P2-postgres")?.ReplayedSpansPerSecond, v => v >= 725, "#,0"),
        new("P3", "P3", "spans/s ingested in batches into PostgreSQL", "≥ 15,000", r => r("P3")?.IngestSpansPerSecond, v => v >= 15_000, "#,0"),
        new("P4", "P4", "100,000 × 3-span sweep on PostgreSQL: replays that failed or timed out", "0", r => r("P4") is { } p ? p.Failed + (p.Outcome == "COMPLETED" ? 0 : p.Traces) : null, v => v == 0, "0"),
        new("P4", "P4", "100,000 × 3-span sweep on PostgreSQL: peak memory per silo (MiB)", "< 1,024", r => r("P4")?.PeakSiloMiB, v => v < 1024, "#,0"),
        new("P4", "P4", "100,000 × 3-span sweep on PostgreSQL: API p99 while it runs (ms)", "< 100", r => r("P4")?.ApiP99Ms, v => v < 100, "0"),
        new("P5", "P1-postgres-*", "2 silos ÷ 1 silo, P1 throughput", "≥ 1.90", r => r("P1-postgres-2")?.LlmCallsPerSecond / r("P1-postgres-1")?.LlmCallsPerSecond, v => v >= 1.9, "0.00"),
    ];

    public static async Task WriteAsync(string resultsPath, string? baselinePath, string markdownPath, string? note = null)
    {
        var after = await ReadAsync(resultsPath);
        var before = baselinePath is not null && File.Exists(baselinePath) ? await ReadAsync(baselinePath) : [];
        var md = new StringBuilder();
        md.AppendLine("# Benchmark results").AppendLine();
        md.AppendLine($"Machine: {Machine()}. Written by `scripts/benchmark.sh` on {DateTime.UtcNow:yyyy-MM-dd}.").AppendLine();
        md.AppendLine("Every target is measured at the product's defaults: no sweep window, poll or checkpoint setting changed, the " +
            "PostgreSQL connection budget at TraceReplay:Postgres:MaxConnections' default, and PostgreSQL at its default settings " +
            "(fsync, synchronous_commit and full_page_writes on). Rows named `*-tuned` (a window of 100 replays in flight) and `P3-cold` (ingestion " +
            "after a warm-up of 1,000 traces instead of 6,000, while the JIT is still compiling) are extra lines for comparison, not targets.").AppendLine();
        if (note is not null)
        {
            md.AppendLine($"Note: {note}").AppendLine();
        }

        md.AppendLine(before.Count > 0 ? "| target | scenario | figure | goal | before | after | met? |" : "| target | scenario | figure | goal | measured | met? |");
        md.AppendLine(before.Count > 0 ? "| --- | --- | --- | --- | ---: | ---: | --- |" : "| --- | --- | --- | --- | ---: | --- |");
        foreach (var t in Targets)
        {
            var value = t.Measure(id => Find(after, id));
            var met = value is { } v && !double.IsNaN(v) ? (t.Met(v) ? "yes" : "**no**") : "not run";
            var was = before.Count > 0 ? $" {Show(t.Measure(id => Find(before, id)), t.Format)} |" : "";
            var figure = t.Id == "P4" && Find(after, "P4") is { } p4 ? t.Figure.Replace("100,000", p4.Traces.ToString("#,0", CultureInfo.InvariantCulture), StringComparison.Ordinal) : t.Figure;
            md.AppendLine($"| {t.Id} | {t.Scenario} | {figure} | {t.Goal} |{was} {Show(value, t.Format)} | {met} |");
        }

        md.AppendLine().AppendLine("Every scenario as measured (after):").AppendLine();
        md.AppendLine("| scenario | storage | silos | LLM latency ms | traces × LLM spans | in flight | outcome | s | LLM calls/s | replays/s | spans/s | API p99 ms | peak MiB/silo | ingest spans/s | failed |");
        md.AppendLine("| --- | --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in after.DistinctBy(r => r.Id))
        {
            var last = Find(after, r.Id)!;
            md.AppendLine($"| {last.Id} | {last.Storage} | {last.Silos} | {last.LatencyMs} | {last.Traces} × {last.LlmSpansPerTrace} | {(last.MaxInFlight is { } w ? $"{w} (tuned)" : "default")} | {last.Outcome} | " +
                $"{Show(last.Seconds, "0.0")} | {Show(last.LlmCallsPerSecond, "0.0")} | {Show(last.ReplaysPerSecond, "0.0")} | {Show(last.ReplayedSpansPerSecond, "#,0")} | " +
                $"{Show(last.ApiP99Ms, "0")} | {Show(last.PeakSiloMiB, "#,0")} | {Show(last.IngestSpansPerSecond, "#,0")} | {last.Failed} |");
        }

        await File.WriteAllTextAsync(markdownPath, md.ToString());
        Console.WriteLine(md);
    }

    /// <summary>The last run of a scenario in the file.</summary>
    private static ScenarioResult? Find(List<ScenarioResult> results, string id) => results.LastOrDefault(r => r.Id == id);

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static async Task<List<ScenarioResult>> ReadAsync(string path) =>
        [.. (await File.ReadAllLinesAsync(path)).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ScenarioResult>(l, Json)!)];

    private static string Show(double? value, string format) =>
        value is { } v && !double.IsNaN(v) && !double.IsInfinity(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var kib = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return $"{Environment.ProcessorCount} cores ({cpu}), {long.Parse(kib) / 1024.0 / 1024.0:0} GiB memory, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
