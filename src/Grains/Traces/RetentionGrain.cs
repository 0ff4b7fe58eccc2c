using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// Purges a project's traces older than <see cref="TraceReplayOptions.RetentionDays"/> from grain storage and the
/// catalog, driven by a reminder so it runs on some silo even after others die. The catalog says which traces are
/// old; grains are never scanned. A purged trace keeps a tombstone, so replaying it answers 410. A pinned trace (by
/// hand, or by a sweep that refers to it) is kept while its pin exists, and counted as kept.
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

    public async Task<RetentionReport> PurgeExpiredAsync()
    {
        var days = options.Value.RetentionDays;
        if (days <= 0)
        {
            return new RetentionReport(0, 0);
        }

        var project = this.GetPrimaryKeyString();
        var cutoff = time.GetUtcNow().AddDays(-days);
        var purged = 0;
        while (true)
        {
            // Each pass deletes what it read, so the first page is always the next batch of expired traces.
            var page = await catalog.QueryAsync(new TraceQuery(project, PageSize, EndDate: cutoff, Pinned: false));
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

        var kept = await catalog.CountAsync(new TraceQuery(project, EndDate: cutoff, Pinned: true));
        if (purged > 0 || kept > 0)
        {
            LogPurged(logger, purged, project, days, kept);
        }

        return new RetentionReport(purged, kept);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Retention purged {Count} traces of project {Project} older than {Days} days and kept {Kept} for their pins")]
    private static partial void LogPurged(ILogger logger, int count, string project, int days, long kept);
}
