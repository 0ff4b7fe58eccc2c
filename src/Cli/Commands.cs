using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;

namespace TraceReplay.Cli;

/// <summary>Starts a sweep, shows a live progress bar until it finishes, prints the results and gates on regressions.</summary>
public sealed class SweepCommand(CliEnvironment environment) : AsyncCommand<SweepSettings>
{
    private static readonly string[] FinishedStatuses = ["COMPLETED", "CANCELLED", "FAILED", "BUDGET_EXCEEDED"];

    public override async Task<int> ExecuteAsync(CommandContext context, SweepSettings settings, CancellationToken cancellationToken)
    {
        var console = environment.Console;
        var (body, error) = settings.ToBody();
        if (body is null)
        {
            return Fail(console, error!);
        }

        using var api = new ApiClient(settings, environment);
        try
        {
            var sweep = await api.PostAsync("api/v1/sweeps", body, cancellationToken);
            var id = (string)sweep["id"]!;
            console.MarkupLineInterpolated($"Sweep [bold]{id}[/] started over {(int)sweep["counts"]!["total"]!} traces.");
            sweep = await FollowAsync(api, id, (int)sweep["counts"]!["total"]!, cancellationToken);

            var status = (string)sweep["status"]!;
            var results = await api.GetAsync($"api/v1/sweeps/{id}/results", cancellationToken);
            ResultsView.Render(console, results);
            if (settings.Output is { } output)
            {
                var json = output.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
                var text = await api.GetTextAsync($"api/v1/sweeps/{id}/results{(json ? "" : "?format=csv")}", cancellationToken);
                await File.WriteAllTextAsync(output, text, cancellationToken);
                console.MarkupLineInterpolated($"Results written to [bold]{output}[/].");
            }

            if (status == "FAILED")
            {
                return Fail(console, $"sweep {id} FAILED: {(string?)sweep["stopReason"]}");
            }

            if (settings.FailOnRegression && (bool?)results["significantRegression"] == true)
            {
                console.MarkupLine("[red]Significant regression: failing as --fail-on-regression asks.[/]");
                return ExitCodes.Regression;
            }

            return ExitCodes.Ok;
        }
        catch (ApiCallException ex)
        {
            return Fail(console, ex.Message);
        }
    }

    private async Task<JsonNode> FollowAsync(ApiClient api, string id, int total, CancellationToken cancellationToken)
    {
        var interval = environment.PollInterval ?? TimeSpan.FromMilliseconds(500);
        JsonNode sweep = null!;
        await environment.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var bar = progress.AddTask("replaying", maxValue: Math.Max(1, total));
                while (true)
                {
                    sweep = await api.GetAsync($"api/v1/sweeps/{id}", cancellationToken);
                    var counts = sweep["counts"]!;
                    var done = (int)counts["completed"]! + (int)counts["failed"]! + (int)counts["skipped"]!;
                    bar.Value = done;
                    bar.Description = string.Create(CultureInfo.InvariantCulture,
                        $"{(string)sweep["status"]!} {(int)counts["completed"]!} ok, {(int)counts["failed"]!} failed, {(int)counts["running"]!} running, ${(decimal)sweep["spendUsd"]!:0.####}");
                    if (FinishedStatuses.Contains((string)sweep["status"]!) && (int)counts["running"]! == 0)
                    {
                        bar.Value = bar.MaxValue;
                        return;
                    }

                    await Task.Delay(interval, cancellationToken);
                }
            });
        return sweep;
    }

    internal static int Fail(IAnsiConsole console, string message)
    {
        console.MarkupLineInterpolated($"[red]error:[/] {message}");
        return ExitCodes.Error;
    }
}

/// <summary>Prints what a sweep would replay and cost, before anything runs.</summary>
public sealed class EstimateCommand(CliEnvironment environment) : AsyncCommand<SweepRequestSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SweepRequestSettings settings, CancellationToken cancellationToken)
    {
        var (body, error) = settings.ToBody();
        if (body is null)
        {
            return SweepCommand.Fail(environment.Console, error!);
        }

        using var api = new ApiClient(settings, environment);
        try
        {
            var estimate = await api.PostAsync("api/v1/sweeps/estimate", body, cancellationToken);
            var table = new Table().AddColumns("Traces", "LLM calls", "Prompt tokens", "Completion tokens", "Estimated cost");
            table.AddRow(
                Text((int)estimate["traces"]!), Text((int)estimate["llmCalls"]!), Text((long)estimate["promptTokens"]!),
                Text((long)estimate["completionTokens"]!), (decimal?)estimate["estimatedCostUsd"] is { } cost ? Usd(cost) : "unknown");
            environment.Console.Write(table);
            environment.Console.WriteLine((string)estimate["message"]!);
            return (bool?)estimate["withinBudget"] == false ? ExitCodes.Error : ExitCodes.Ok;
        }
        catch (ApiCallException ex)
        {
            return SweepCommand.Fail(environment.Console, ex.Message);
        }
    }

    internal static string Text<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    internal static string Usd(decimal value) => (value < 0 ? "-$" : "$") + Math.Abs(value).ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>Prints a sweep's status, counts, spend and ETA.</summary>
public sealed class StatusCommand(CliEnvironment environment) : AsyncCommand<SweepIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SweepIdSettings settings, CancellationToken cancellationToken)
    {
        using var api = new ApiClient(settings, environment);
        try
        {
            ResultsView.RenderStatus(environment.Console, await api.GetAsync($"api/v1/sweeps/{Uri.EscapeDataString(settings.SweepId)}", cancellationToken));
            return ExitCodes.Ok;
        }
        catch (ApiCallException ex)
        {
            return SweepCommand.Fail(environment.Console, ex.Message);
        }
    }
}

/// <summary>Cancels a sweep: no more replays start; the in-flight ones finish.</summary>
public sealed class CancelCommand(CliEnvironment environment) : AsyncCommand<SweepIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SweepIdSettings settings, CancellationToken cancellationToken)
    {
        using var api = new ApiClient(settings, environment);
        try
        {
            ResultsView.RenderStatus(environment.Console,
                await api.PostAsync($"api/v1/sweeps/{Uri.EscapeDataString(settings.SweepId)}/cancel", null, cancellationToken));
            return ExitCodes.Ok;
        }
        catch (ApiCallException ex)
        {
            return SweepCommand.Fail(environment.Console, ex.Message);
        }
    }
}
