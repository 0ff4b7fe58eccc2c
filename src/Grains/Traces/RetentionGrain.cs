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
    ILogger<RetentionGrain> logger) : PeriodicPassGrain, IRetentionGrain
{
    private const int PageSize = 200;
    private const int Parallelism = 16;

    protected override string ReminderName => "purge-expired";

    protected override TimeSpan Period => options.Value.RetentionSweepInterval;

    protected override Task RunPassAsync() => PurgeExpiredAsync();

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
