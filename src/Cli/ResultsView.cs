using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace TraceReplay.Cli;

/// <summary>Renders a sweep's status and results as tables.</summary>
public static class ResultsView
{
    public static void RenderStatus(IAnsiConsole console, JsonNode sweep)
    {
        var counts = sweep["counts"]!;
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Sweep", Markup.Escape($"{(string)sweep["id"]!} ({(string)sweep["name"]!})"));
        grid.AddRow("Status", Markup.Escape((string)sweep["status"]!));
        grid.AddRow("Traces", $"{N(counts["total"])}: {N(counts["queued"])} queued, {N(counts["running"])} running, " +
            $"{N(counts["completed"])} completed, {N(counts["failed"])} failed, {N(counts["skipped"])} skipped");
        grid.AddRow("Spend", EstimateCommand.Usd((decimal)sweep["spendUsd"]!));
        if ((double?)sweep["etaSeconds"] is { } eta)
        {
            grid.AddRow("ETA", TimeSpan.FromSeconds(eta).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
        }

        if ((string?)sweep["stopReason"] is { } reason)
        {
            grid.AddRow("Stopped", Markup.Escape(reason));
        }

        console.Write(grid);
    }

    public static void Render(IAnsiConsole console, JsonNode results)
    {
        RenderStatus(console, results["sweep"]!);

        var evaluators = new Table().Title("Scores (replay − original)")
            .AddColumns("Evaluator", "Pairs", "Original", "Replay", "Mean Δ", "95 % CI", "Wilcoxon p", "Verdict", "Beyond noise");
        foreach (var e in results["evaluators"]!.AsArray())
        {
            var verdict = (string)e!["verdict"]!;
            var colour = verdict switch { "REGRESSED" => "red", "IMPROVED" => "green", _ => "grey" };
            evaluators.AddRow(
                Markup.Escape((string)e["name"]!), N(e["pairs"]), F(e["meanOriginal"]), F(e["meanReplay"]), F(e["meanDifference"]),
                $"[[{F(e["ci"]!["lower"])}, {F(e["ci"]!["upper"])}]]", F(e["wilcoxon"]!["pValue"]), $"[{colour}]{verdict}[/]",
                e["noise"] is { } noise ? ((bool)noise["exceedsNoise"]! ? "yes" : "no") : "n/a");
        }

        if (evaluators.Rows.Count > 0)
        {
            console.Write(evaluators);
        }
        else
        {
            console.WriteLine("No evaluator scored both the originals and the replays (yet): no score statistics.");
        }

        var cost = results["cost"]!;
        var latency = results["latency"]!;
        var figures = new Table().Title("Cost and latency").AddColumns("", "Original", "Replay", "Delta");
        figures.AddRow("Cost (completed traces)", Usd(cost["originalTotal"]), Usd(cost["replayTotal"]), Usd(cost["delta"]));
        figures.AddRow("Projected monthly cost", Usd(cost["projectedMonthlyOriginal"]), Usd(cost["projectedMonthlyReplay"]), Usd(cost["projectedMonthlyDelta"]));
        figures.AddRow("Latency p50 (ms)", F(latency["originalP50Ms"], "0"), F(latency["replayP50Ms"], "0"), Delta(latency["originalP50Ms"], latency["replayP50Ms"]));
        figures.AddRow("Latency p95 (ms)", F(latency["originalP95Ms"], "0"), F(latency["replayP95Ms"], "0"), Delta(latency["originalP95Ms"], latency["replayP95Ms"]));
        console.Write(figures);
        if (results["pricing"]?["note"] is { } pricingNote)
        {
            console.WriteLine((string)pricingNote!);
        }

        var regressed = results["regressedTraces"]!.AsArray();
        var failures = results["failures"]!.AsArray();
        console.MarkupLineInterpolated($"{regressed.Count} regressed traces, {failures.Count} failed replays.");
        foreach (var failure in failures.Take(10))
        {
            console.MarkupLineInterpolated($"  [red]failed[/] {(string)failure!["traceId"]!}: {(string)failure["error"]!}");
        }
    }

    /// <summary>
    /// The results as plain lines for logs: no table, nothing wrapped, one line per evaluator, every field named and
    /// given a value or "n/a".
    /// </summary>
    public static IEnumerable<string> PlainLines(JsonNode results)
    {
        yield return StatusLine(results["sweep"]!);
        var evaluators = results["evaluators"]!.AsArray();
        if (evaluators.Count == 0)
        {
            yield return "evaluators: none scored both the originals and the replays (yet): no score statistics";
        }

        foreach (var e in evaluators)
        {
            yield return $"evaluator: \"{(string)e!["name"]!}\" verdict={(string)e["verdict"]!} pairs={N(e["pairs"])} original={F(e["meanOriginal"])} " +
                $"replay={F(e["meanReplay"])} mean_delta={F(e["meanDifference"])} ci95=[{F(e["ci"]!["lower"])}, {F(e["ci"]!["upper"])}] " +
                $"wilcoxon_p={F(e["wilcoxon"]!["pValue"])} beyond_noise={(e["noise"] is { } noise ? ((bool)noise["exceedsNoise"]! ? "yes" : "no") : "n/a")}";
        }

        var cost = results["cost"]!;
        var latency = results["latency"]!;
        yield return $"cost: original={Usd(cost["originalTotal"])} replay={Usd(cost["replayTotal"])} delta={Usd(cost["delta"])} " +
            $"projected_monthly_original={Usd(cost["projectedMonthlyOriginal"])} projected_monthly_replay={Usd(cost["projectedMonthlyReplay"])} projected_monthly_delta={Usd(cost["projectedMonthlyDelta"])}";
        yield return $"latency_p50_ms: original={F(latency["originalP50Ms"], "0")} replay={F(latency["replayP50Ms"], "0")} delta={Delta(latency["originalP50Ms"], latency["replayP50Ms"])}";
        yield return $"latency_p95_ms: original={F(latency["originalP95Ms"], "0")} replay={F(latency["replayP95Ms"], "0")} delta={Delta(latency["originalP95Ms"], latency["replayP95Ms"])}";
        if (results["pricing"]?["note"] is { } pricingNote)
        {
            yield return $"pricing: {(string)pricingNote!}";
        }

        var regressed = results["regressedTraces"]!.AsArray();
        var failures = results["failures"]!.AsArray();
        yield return $"regressed_traces={regressed.Count} failed_replays={failures.Count}";
        foreach (var failure in failures.Take(10))
        {
            yield return $"failed: {(string)failure!["traceId"]!}: {(string)failure["error"]!}";
        }

        yield return $"significant_regression={((bool?)results["significantRegression"] == true ? "yes" : "no")}";
    }

    /// <summary>A sweep's status as one plain line.</summary>
    public static string StatusLine(JsonNode sweep)
    {
        var counts = sweep["counts"]!;
        return $"sweep: {(string)sweep["id"]!} \"{(string)sweep["name"]!}\" status={(string)sweep["status"]!} traces={N(counts["total"])} " +
            $"queued={N(counts["queued"])} running={N(counts["running"])} completed={N(counts["completed"])} failed={N(counts["failed"])} " +
            $"skipped={N(counts["skipped"])} spend={EstimateCommand.Usd((decimal)sweep["spendUsd"]!)} " +
            $"eta_s={((double?)sweep["etaSeconds"] is { } eta ? eta.ToString("0", CultureInfo.InvariantCulture) : "n/a")}" +
            ((string?)sweep["stopReason"] is { } reason ? $" stopped=\"{reason}\"" : "");
    }

    private static string N(JsonNode? node) => ((int)node!).ToString(CultureInfo.InvariantCulture);

    private static string F(JsonNode? node, string format = "0.000") =>
        (double?)node is { } value ? value.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Delta(JsonNode? original, JsonNode? replay) =>
        (double?)original is { } a && (double?)replay is { } b ? (b - a).ToString("+0;-0;0", CultureInfo.InvariantCulture) : "n/a";

    private static string Usd(JsonNode? node) => (decimal?)node is { } value ? EstimateCommand.Usd(value) : "n/a";
}
