using Spectre.Console;
using Spectre.Console.Cli;

namespace TraceReplay.Cli;

/// <summary>Exit codes a CI pipeline can gate on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Bad arguments, an API error, an unreachable API, or a sweep that FAILED.</summary>
    public const int Error = 1;

    /// <summary>--fail-on-regression and at least one evaluator's verdict is REGRESSED.</summary>
    public const int Regression = 2;
}

/// <summary>What the commands take from outside: the console, environment variables, and (in tests) the HTTP handler.</summary>
/// <param name="PlainOutput">
/// Plain, unwrapped lines and no progress animation: where output is not a terminal (a CI log, a pipe, a file). Null:
/// plain when the console is not interactive.
/// </param>
public sealed record CliEnvironment(
    IAnsiConsole Console, Func<string, string?> Variable, HttpMessageHandler? Handler = null, TimeSpan? PollInterval = null, bool? PlainOutput = null)
{
    public const string UrlVariable = "TRACEREPLAY_URL";
    public const string KeyVariable = "TRACEREPLAY_API_KEY";
    public const string DefaultUrl = "http://localhost:5080";

    public static CliEnvironment FromProcess() =>
        new(AnsiConsole.Console, Environment.GetEnvironmentVariable, PlainOutput: System.Console.IsOutputRedirected);

    /// <summary>Whether to print plain lines instead of tables and a live progress bar.</summary>
    public bool Plain => PlainOutput ?? !Console.Profile.Capabilities.Interactive;

    /// <summary>Writes one line as it is: no markup, no wrapping at the console width.</summary>
    public void Line(string text) => Console.Profile.Out.Writer.WriteLine(text);
}

/// <summary>The <c>tracereplay</c> command line: sweep, estimate, status, cancel.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("tracereplay");
            config.ConfigureConsole(environment.Console);
            config.Settings.Registrar.RegisterInstance(environment);
            config.AddCommand<SweepCommand>("sweep")
                .WithDescription("Replay the traces a filter selects with overrides, show progress and the results; exit 2 on a significant regression with --fail-on-regression")
                .WithExample("sweep", "--filter", "tag=production", "--model", "gpt-4o-mini", "--budget", "5", "--fail-on-regression", "--output", "results.csv");
            config.AddCommand<EstimateCommand>("estimate").WithDescription("Trace count, LLM calls and estimated cost of a sweep, before anything runs");
            config.AddCommand<StatusCommand>("status").WithDescription("A sweep's status, counts, spend and ETA");
            config.AddCommand<CancelCommand>("cancel").WithDescription("Cancel a running sweep");
        });
        return app.RunAsync(args, cancellationToken);
    }
}
