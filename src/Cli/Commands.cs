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

        // --format json: the results document is all stdout gets; messages go to stderr so the output parses.
        var json = settings.Format == "json";
        var plain = json || environment.Plain;
        void Say(string text)
        {
            if (json)
            {
                Console.Error.WriteLine(text);
            }
            else
            {
                environment.Line(text);
            }
        }

        using var api = new ApiClient(settings, environment);
        try
        {
            var sweep = await api.PostAsync("api/v1/sweeps", body, cancellationToken);
            var id = (string)sweep["id"]!;
            var total = (int)sweep["counts"]!["total"]!;
            if (plain)
            {
                Say($"Sweep {id} started over {total} traces.");
            }
            else
            {
                console.MarkupLineInterpolated($"Sweep [bold]{id}[/] started over {total} traces.");
            }

            sweep = plain ? await FollowPlainAsync(api, id, Say, cancellationToken) : await FollowAsync(api, id, total, cancellationToken);

            var status = (string)sweep["status"]!;
            var results = await api.GetAsync($"api/v1/sweeps/{id}/results", cancellationToken);
            if (json)
            {
                environment.Line(results.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            }
            else if (plain)
            {
                foreach (var line in ResultsView.PlainLines(results))
                {
                    environment.Line(line);
                }
            }
            else
            {
                ResultsView.Render(console, results);
            }

            if (settings.Output is { } output)
            {
                var jsonFile = output.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
                var text = await api.GetTextAsync($"api/v1/sweeps/{id}/results{(jsonFile ? "" : "?format=csv")}", cancellationToken);
                await File.WriteAllTextAsync(output, text, cancellationToken);
                Say($"Results written to {output}.");
            }

            if (status == "FAILED")
            {
                return Fail(console, $"sweep {id} FAILED: {(string?)sweep["stopReason"]}");
            }

            if (settings.FailOnRegression && (bool?)results["significantRegression"] == true)
            {
                if (plain)
                {
                    Say("Significant regression: failing as --fail-on-regression asks.");
                }
                else
                {
                    console.MarkupLine("[red]Significant regression: failing as --fail-on-regression asks.[/]");
                }

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

    /// <summary>No animation: a line when the status changes, and at most one progress line every 5 seconds.</summary>
    private async Task<JsonNode> FollowPlainAsync(ApiClient api, string id, Action<string> say, CancellationToken cancellationToken)
    {
        var interval = environment.PollInterval ?? TimeSpan.FromMilliseconds(500);
        string? lastStatus = null, lastLine = null;
        var lastAt = DateTimeOffset.MinValue;
        while (true)
        {
            var sweep = await api.GetAsync($"api/v1/sweeps/{id}", cancellationToken);
            var counts = sweep["counts"]!;
            var status = (string)sweep["status"]!;
            var finished = FinishedStatuses.Contains(status) && (int)counts["running"]! == 0;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"progress: {status} {(int)counts["completed"]! + (int)counts["failed"]! + (int)counts["skipped"]!}/{(int)counts["total"]!} done ({(int)counts["completed"]!} completed, {(int)counts["failed"]!} failed, {(int)counts["skipped"]!} skipped, {(int)counts["running"]!} running), spend ${(decimal)sweep["spendUsd"]!:0.######}");
            if (line != lastLine && (status != lastStatus || finished || DateTimeOffset.UtcNow - lastAt >= TimeSpan.FromSeconds(5)))
            {
                say(line);
                (lastStatus, lastLine, lastAt) = (status, line, DateTimeOffset.UtcNow);
            }

            if (finished)
            {
                return sweep;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    internal static int Fail(IAnsiConsole console, string message)
    {
        if (console.Profile.Capabilities.Ansi)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {message}");
        }
        else
        {
            // Unwrapped: a CI log keeps the message on one line.
            console.Profile.Out.Writer.WriteLine($"error: {message}");
        }

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
            var sweep = await api.GetAsync($"api/v1/sweeps/{Uri.EscapeDataString(settings.SweepId)}", cancellationToken);
            if (environment.Plain)
            {
                environment.Line(ResultsView.StatusLine(sweep));
            }
            else
            {
                ResultsView.RenderStatus(environment.Console, sweep);
            }

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
            var sweep = await api.PostAsync($"api/v1/sweeps/{Uri.EscapeDataString(settings.SweepId)}/cancel", null, cancellationToken);
            if (environment.Plain)
            {
                environment.Line(ResultsView.StatusLine(sweep));
            }
            else
            {
                ResultsView.RenderStatus(environment.Console, sweep);
            }

            return ExitCodes.Ok;
        }
        catch (ApiCallException ex)
        {
            return SweepCommand.Fail(environment.Console, ex.Message);
        }
    }
}
