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
                e["noise"] is { } noise ? ((bool)noise["exceedsNoise"]! ? "yes" : "no") : "-");
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
        figures.AddRow("Latency p50 (ms)", F(latency["originalP50Ms"], "0"), F(latency["replayP50Ms"], "0"), "");
        figures.AddRow("Latency p95 (ms)", F(latency["originalP95Ms"], "0"), F(latency["replayP95Ms"], "0"), "");
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

    private static string N(JsonNode? node) => ((int)node!).ToString(CultureInfo.InvariantCulture);

    private static string F(JsonNode? node, string format = "0.000") =>
        (double?)node is { } value ? value.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Usd(JsonNode? node) => (decimal?)node is { } value ? EstimateCommand.Usd(value) : "unknown";
}
