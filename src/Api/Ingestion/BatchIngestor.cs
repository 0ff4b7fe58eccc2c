using TraceReplay.Grains;
using TraceReplay.Grains.Ingestion;

namespace TraceReplay.Api.Ingestion;

/// <summary>
/// Stores a validated batch all or nothing, through the ingest journal, with one call to the cluster per step
/// (<see cref="IIngestGrain"/> fans each out to the batch's traces on the silo):
/// <list type="number">
/// <item>every trace of the batch prepares its part (the spans-per-trace limit, counting other batches prepared on
/// it; only span ids travel); a refusal or failure refuses the request and nothing is stored;</item>
/// <item>the batch is journaled in one statement; a failure refuses the request (503) and nothing is stored;</item>
/// <item>the batch is accepted: each trace applies its part (once, however often it is delivered), and the journal row
/// is deleted when all did. When some fail, or the call is lost with its silo, the request is still answered as
/// accepted: the batch is durable, and <see cref="IngestRecoveryGrain"/> applies it within seconds. The row of a batch
/// applied whole is deleted after the answer, together with other requests' rows.</item>
/// </list>
/// </summary>
public sealed partial class BatchIngestor(IIngestJournal journal, IGrainFactory grains, ILogger<BatchIngestor> logger)
{
    /// <summary>
    /// Ingests <paramref name="traces"/> (trace id → its part) through <paramref name="trace"/>: null when the batch was
    /// accepted, else the first refusal, nothing stored. A failure before the batch was accepted is thrown.
    /// </summary>
    public async Task<RequestError?> IngestAsync(IReadOnlyDictionary<string, TraceIngest> traces, Func<string, ITraceGrain> trace)
    {
        var batchId = "ing_" + Guid.NewGuid().ToString("N");
        var parts = new Dictionary<string, TraceIngest>(traces.Count, StringComparer.Ordinal);
        var spanIds = new Dictionary<string, string[]>(traces.Count, StringComparer.Ordinal);
        foreach (var (traceId, part) in traces)
        {
            var key = trace(traceId).GetPrimaryKeyString();
            parts[key] = part with { BatchId = batchId };
            spanIds[key] = [.. part.Spans.Select(s => s.Id)];
        }

        var ingest = grains.GetGrain<IIngestGrain>(0);
        RequestError? refusal;
        try
        {
            refusal = await ingest.PrepareAsync(batchId, spanIds);
        }
        catch
        {
            // The call may have been lost with its silo before the traces it prepared were released.
            _ = ingest.ReleaseAsync(batchId, [.. parts.Keys]);
            throw;
        }

        if (refusal is not null)
        {
            return refusal;
        }

        var batch = new IngestBatch(batchId, parts);
        try
        {
            await journal.AppendAsync(batch);
        }
        catch
        {
            _ = ingest.ReleaseAsync(batchId, [.. parts.Keys]);
            // An INSERT reported as failed may have committed all the same; recovery leaves a row alone for a few
            // seconds, so deleting it now keeps the refused request from being applied later.
            await DiscardQuietlyAsync(batchId);
            throw;
        }

        bool applied;
        try
        {
            applied = await ingest.ApplyAsync(batchId, parts);
        }
        catch (Exception ex)
        {
            // The batch is durable: recovery applies what this call did not.
            LogApplyFailed(logger, ex, batchId);
            applied = false;
        }

        if (applied)
        {
            // Not awaited: the batch is stored; its row only waits to be deleted with others (one commit for many).
            _ = DiscardQuietlyAsync(batchId);
        }

        return null;
    }

    private async Task DiscardQuietlyAsync(string batchId)
    {
        try
        {
            await journal.DiscardAsync(batchId);
        }
        catch (Exception ex)
        {
            // Recovery applies the batch again, which its traces ignore, and deletes it then.
            LogDiscardFailed(logger, ex, batchId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying accepted batch {BatchId} failed; ingest recovery applies it from the journal")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting journaled batch {BatchId} failed; ingest recovery deletes it later")]
    private static partial void LogDiscardFailed(ILogger logger, Exception exception, string batchId);
}
