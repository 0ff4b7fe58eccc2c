using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// Purges a project's traces older than <see cref="TraceReplayOptions.RetentionDays"/> from grain storage and the
/// catalog, driven by a reminder so it runs on some silo even after others die. The catalog says which traces are
/// old; grains are never scanned. A purged trace keeps a tombstone, so replaying it answers 410.
/// </summary>
public sealed partial class RetentionGrain(
    ITraceCatalog catalog,
    IOptions<TraceReplayOptions> options,
    TimeProvider time,
    ILogger<RetentionGrain> logger) : Grain, IRetentionGrain, IRemindable
{
    private const string ReminderName = "purge-expired";
    private const int PageSize = 200;
    private const int Parallelism = 16;
    private IGrainTimer? _purge;

    public async Task EnsureScheduledAsync()
    {
        var period = options.Value.RetentionSweepInterval;
        if (await this.GetReminder(ReminderName) is null)
        {
            await this.RegisterOrUpdateReminder(ReminderName, period, period);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // A large purge outlasts a reminder tick's 30 s response timeout: run it in a one-shot timer instead.
        _purge ??= this.RegisterGrainTimer(async _ =>
        {
            try
            {
                await PurgeExpiredAsync();
            }
            finally
            {
                _purge?.Dispose();
                _purge = null;
            }
        }, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        return Task.CompletedTask;
    }

    public async Task<int> PurgeExpiredAsync()
    {
        var days = options.Value.RetentionDays;
        if (days <= 0)
        {
            return 0;
        }

        var project = this.GetPrimaryKeyString();
        var cutoff = time.GetUtcNow().AddDays(-days);
        var purged = 0;
        while (true)
        {
            // Each pass deletes what it read, so the first page is always the next batch of expired traces.
            var page = await catalog.QueryAsync(new TraceQuery(project, PageSize, EndDate: cutoff));
            var ids = page.Traces.Where(t => t.Timestamp < cutoff).Select(t => t.Id).ToList();
            if (ids.Count == 0)
            {
                break;
            }

            foreach (var chunk in ids.Chunk(Parallelism))
            {
                await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(project, id)).PurgeAsync()));
            }

            await catalog.DeleteAsync(project, ids);
            purged += ids.Count;
        }

        if (purged > 0)
        {
            LogPurged(logger, purged, project, days);
        }

        return purged;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention purged {Count} traces of project {Project} older than {Days} days")]
    private static partial void LogPurged(ILogger logger, int count, string project, int days);
}
