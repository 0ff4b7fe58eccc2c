using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using TraceReplay.Cli;
using TraceReplay.Grains;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Sweeps;

/// <summary>The CLI's entry point run in-process against the real host, as a CI pipeline would run it.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed partial class SweepCliTests(ApiFixture fixture)
{
    // Console width of the next run: a CI log is often narrower than a results table.
    private int _width = 200;

    private static TraceScore Helpfulness(double value) =>
        new("helpfulness", "Helpfulness", "LLM_JUDGE", value, null, null, 1, DateTimeOffset.UtcNow);

    /// <summary>
    /// Runs <c>tracereplay sweep</c>. Before the CLI reads the results, the replay traces get their scores — standing in
    /// for the evaluation pipeline — from <paramref name="replayScore"/> (by the trace's position).
    /// </summary>
    private async Task<(int ExitCode, string Output)> RunSweepAsync(Func<int, double> replayScore, params string[] extra)
    {
        var (tag, ids) = await SweepApiTests.IngestTaggedAsync(fixture, 8);
        var grains = fixture.Services.GetRequiredService<IClusterClient>();
        foreach (var id in ids)
        {
            await grains.GetGrain<ITraceGrain>(id).AddScoreAsync(Helpfulness(0.9));
        }

        using var handler = new ScoreBeforeResults(fixture.CreateHandler(), async sweepId =>
        {
            foreach (var entry in (await grains.GetGrain<ISweepGrain>(sweepId).GetEntriesAsync())!.Where(e => e.ReplayTraceId is not null))
            {
                await grains.GetGrain<ITraceGrain>(entry.ReplayTraceId!).AddScoreAsync(Helpfulness(replayScore(ids.IndexOf(entry.TraceId))));
            }
        });
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = _width;
        string[] args =
        [
            "sweep", "--filter", $"tag={tag}", "--model", "gpt-4o-mini", "--api-url", "http://localhost", "--api-key", ApiFixture.ApiKey, .. extra,
        ];

        var exit = await CliApp.RunAsync(args, new CliEnvironment(console, _ => null, handler, TimeSpan.FromMilliseconds(100)));
        return (exit, output.ToString());
    }

    [Fact]
    public async Task ASignificantRegressionFailsTheSweepCommandWithExitCodeTwoAndWritesTheCsv()
    {
        var csv = Path.Combine(Path.GetTempPath(), $"sweep-{Guid.NewGuid():N}.csv");
        try
        {
            var (exit, output) = await RunSweepAsync(i => 0.5 + i * 0.01, "--fail-on-regression", "--output", csv);

            Assert.True(exit == ExitCodes.Regression, output);
            Assert.Contains("REGRESSED", output);
            Assert.Matches(SweepIdPattern(), output);
            Assert.Equal(9, (await File.ReadAllLinesAsync(csv)).Length);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Fact]
    public async Task ChangesWithinNoiseLeaveTheExitCodeZero()
    {
        var (exit, output) = await RunSweepAsync(i => 0.9 + (i % 2 == 0 ? 0.01 : -0.01), "--fail-on-regression");

        Assert.True(exit == ExitCodes.Ok, output);
        Assert.Contains("NO_SIGNIFICANT_CHANGE", output);
        // Costs are labelled with the date of the prices they are at (issue 23).
        Assert.Matches(@"Replay costs at the sweep's price snapshot of \d{4}-\d{2}-\d{2}", output);
    }

    [Fact]
    public async Task WithoutATerminalTheResultsArePlainUnwrappedLinesOnePerEvaluatorWithEveryFieldFilled()
    {
        _width = 40;
        var (exit, output) = await RunSweepAsync(i => 0.5 + i * 0.01, "--fail-on-regression");
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.True(exit == ExitCodes.Regression, output);
        var evaluator = Assert.Single(lines, l => l.StartsWith("evaluator: ", StringComparison.Ordinal));
        Assert.Matches(EvaluatorLinePattern(), evaluator);
        Assert.Contains("beyond_noise=n/a", evaluator);
        Assert.Matches(LatencyLinePattern(), Assert.Single(lines, l => l.StartsWith("latency_p50_ms:", StringComparison.Ordinal)));
        Assert.Contains("significant_regression=yes", lines);
        Assert.DoesNotContain(lines, l => l.Contains('━') || l.Contains('│') || l.Contains('┃'));
        Assert.All(lines.Where(l => l.StartsWith("progress: ", StringComparison.Ordinal)), l => Assert.Contains(" done (", l));
    }

    [Fact]
    public async Task FormatJsonPrintsTheResultsDocumentAlone()
    {
        var (exit, output) = await RunSweepAsync(i => 0.5 + i * 0.01, "--fail-on-regression", "--format", "json");

        Assert.True(exit == ExitCodes.Regression, output);
        var results = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.True((bool)results["significantRegression"]!);
        Assert.Equal("REGRESSED", (string?)results["evaluators"]![0]!["verdict"]);
        Assert.Equal("Helpfulness", (string?)results["evaluators"]![0]!["name"]);
    }

    [Fact]
    public async Task AnApiErrorExitsWithCodeOneAndPrintsTheMessage()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output) });
        using var handler = fixture.CreateHandler();

        var exit = await CliApp.RunAsync(
            ["status", "swp_does_not_exist", "--api-url", "http://localhost", "--api-key", ApiFixture.ApiKey], new CliEnvironment(console, _ => null, handler));

        Assert.Equal(ExitCodes.Error, exit);
        Assert.Contains("404 NOT_FOUND", output.ToString());
    }

    [GeneratedRegex(@"^evaluator: ""Helpfulness"" verdict=REGRESSED pairs=8 original=0\.900 replay=0\.535 mean_delta=-0\.365 ci95=\[-?\d\.\d{3}, -?\d\.\d{3}\] wilcoxon_p=\d\.\d{3} beyond_noise=n/a$")]
    private static partial Regex EvaluatorLinePattern();

    [GeneratedRegex(@"^latency_p50_ms: original=\d+ replay=\d+ delta=[+-]?\d+$")]
    private static partial Regex LatencyLinePattern();

    [GeneratedRegex("Sweep swp_[0-9a-f]{32} started over 8 traces")]
    private static partial Regex SweepIdPattern();

    /// <summary>Calls <c>beforeResults</c> with the sweep id just before forwarding a request for a sweep's results.</summary>
    private sealed partial class ScoreBeforeResults(HttpMessageHandler inner, Func<string, Task> beforeResults) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (ResultsPath().Match(request.RequestUri!.AbsolutePath) is { Success: true } match)
            {
                await beforeResults(match.Groups[1].Value);
            }

            return await base.SendAsync(request, cancellationToken);
        }

        [GeneratedRegex("^/api/v1/sweeps/([^/]+)/results$")]
        private static partial Regex ResultsPath();
    }
}
