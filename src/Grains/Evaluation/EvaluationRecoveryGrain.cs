using Microsoft.Extensions.Options;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Evaluation;

/// <summary>
/// Gives scoring its durability without a reminder per trace: the catalog row of a trace with evaluations pending says
/// so until its last score. One reminder per cluster (period <see cref="EvaluationOptions.RedriveInterval"/>) pages
/// through rows still pending one interval after creation, oldest first, and asks each trace to re-drive them. Scores
/// are keyed by evaluator and version and drop it from the trace's pending list, so a re-drive never scores twice.
/// </summary>
public sealed partial class EvaluationRecoveryGrain(
    ITraceCatalog catalog,
    IOptions<EvaluationOptions> options,
    TimeProvider time,
    ILogger<EvaluationRecoveryGrain> logger) : PeriodicPassGrain, IEvaluationRecoveryGrain
{
    private const int PageSize = 500;

    /// <summary>Bounds one tick: a larger backlog continues at the next tick.</summary>
    private const int MaxPagesPerPass = 20;

    private const int Parallelism = 16;

    protected override string ReminderName => "redrive-pending-evaluations";

    protected override TimeSpan Period => options.Value.RedriveInterval;

    protected override Task RunPassAsync() => RedrivePendingAsync();

    private async Task RedrivePendingAsync()
    {
        // Traces younger than one interval are left to their TraceCreated event.
        var createdBefore = time.GetUtcNow() - options.Value.RedriveInterval;
        PendingEvaluation? after = null;
        var redriven = 0;
        var failed = 0;
        for (var pages = 0; pages < MaxPagesPerPass; pages++)
        {
            // Re-driven traces stay pending until scored, so the pass moves on by keyset rather than re-reading.
            var page = await catalog.PendingEvaluationsAsync(createdBefore, PageSize, after);
            foreach (var chunk in page.Chunk(Parallelism))
            {
                var outcomes = await Task.WhenAll(chunk.Select(RedriveAsync));
                redriven += outcomes.Count(ok => ok);
                failed += outcomes.Count(ok => !ok);
            }

            if (page.Count < PageSize)
            {
                break;
            }

            after = page[^1];
        }

        if (redriven + failed > 0)
        {
            LogPass(logger, redriven, failed);
        }
    }

    /// <summary>One trace's re-drive; a failure is logged and left for the next tick, so it cannot stall the pass.</summary>
    private async Task<bool> RedriveAsync(PendingEvaluation trace)
    {
        try
        {
            await GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(trace.Project, trace.TraceId)).RedriveEvaluationsAsync();
            return true;
        }
        catch (Exception ex)
        {
            LogRedriveFailed(logger, ex, trace.TraceId);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Evaluation recovery re-drove {Count} traces with pending evaluations ({Failed} failed)")]
    private static partial void LogPass(ILogger logger, int count, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluation recovery could not re-drive trace {TraceId}; the next pass retries")]
    private static partial void LogRedriveFailed(ILogger logger, Exception exception, string traceId);
}
