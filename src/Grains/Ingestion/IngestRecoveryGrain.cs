using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Ingestion;

/// <summary>
/// Finishes accepted batches: every <see cref="IngestOptions.RecoveryInterval"/> it applies the journaled batches at
/// least <see cref="IngestOptions.RecoveryAge"/> old to their traces (which apply a batch once) and deletes those every
/// trace stored. A reminder (one minute, the shortest Orleans allows by default) brings it back on another silo when
/// its silo is lost; while active, a grain timer runs the passes, one at a time.
/// </summary>
public sealed partial class IngestRecoveryGrain(
    IIngestJournal journal,
    IOptions<IngestOptions> options,
    ILogger<IngestRecoveryGrain> logger) : Grain, IIngestRecoveryGrain, IRemindable
{
    private const string ReminderName = "apply-journaled-batches";

    private const int PageSize = 50;

    /// <summary>Bounds one pass; a larger backlog continues at the next.</summary>
    private const int MaxPagesPerPass = 20;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(_ => RunPassAsync(), new GrainTimerCreationOptions
        {
            DueTime = options.Value.RecoveryInterval,
            Period = options.Value.RecoveryInterval,
            KeepAlive = true,
        });
        return Task.CompletedTask;
    }

    public async Task EnsureScheduledAsync()
    {
        if (await this.GetReminder(ReminderName) is null)
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
    }

    // The reminder only keeps the grain active (and its timer running) across silo losses.
    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    private async Task RunPassAsync()
    {
        var applied = 0;
        var left = 0;
        try
        {
            for (var pages = 0; pages < MaxPagesPerPass; pages++)
            {
                var page = await journal.OlderThanAsync(options.Value.RecoveryAge, PageSize);
                var done = 0;
                foreach (var batch in page)
                {
                    if (await batch.ApplyAsync(GrainFactory, (trace, ex) => LogApplyFailed(logger, ex, batch.Id, trace)))
                    {
                        await journal.DiscardAsync(batch.Id);
                        done++;
                    }
                }

                applied += done;
                left = page.Count - done;
                // A page with batches that still fail would come back first again: leave them to the next pass.
                if (page.Count < PageSize || left > 0)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            LogPassFailed(logger, ex);
        }

        if (applied + left > 0)
        {
            LogPass(logger, applied, left);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest recovery applied {Applied} journaled batches ({Left} still failing)")]
    private static partial void LogPass(ILogger logger, int applied, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest recovery could not apply batch {BatchId} to trace {Trace}; the next pass retries")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string batchId, string trace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest recovery could not read the journal; the next pass retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
