using System.Runtime.ExceptionServices;
using TraceReplay.Grains;

namespace TraceReplay.Api.Ingestion;

/// <summary>
/// Stores a validated batch all or nothing. Every trace of it ingests its part at once (one grain call each, in
/// parallel); when any of them refuses (a limit) or fails (storage out of reach, the connection budget exhausted), the
/// others take their part back (<see cref="ITraceGrain.UndoIngestAsync"/>: a trace the batch created is removed, an
/// existing one gets its earlier spans back), so a refused request leaves nothing behind. The first refusal or failure
/// is what the request answers. Taking back retries a few times with a short backoff: the same shortage that refused
/// the batch may briefly refuse the undo too.
/// </summary>
public sealed partial class BatchIngestor(ILogger<BatchIngestor> logger)
{
    /// <summary>Delays between attempts to take a refused batch back; the first attempt is immediate.</summary>
    private static readonly TimeSpan[] UndoBackoff =
        [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <summary>
    /// Ingests <paramref name="traces"/> (trace id → its part) through <paramref name="trace"/>; null when all were
    /// stored, else the first refusal, nothing stored. A failure is thrown after the batch was taken back.
    /// </summary>
    public async Task<RequestError?> IngestAsync(IReadOnlyDictionary<string, TraceIngest> traces, Func<string, ITraceGrain> trace)
    {
        var batchId = "ing_" + Guid.NewGuid().ToString("N");
        var outcomes = await Task.WhenAll(traces.Select(async t =>
        {
            try
            {
                return new Outcome(t.Key, await trace(t.Key).IngestAsync(t.Value with { BatchId = batchId }), null);
            }
            catch (Exception ex)
            {
                return new Outcome(t.Key, null, ex);
            }
        }));

        var refused = outcomes.FirstOrDefault(o => o.Refusal is not null || o.Failure is not null);
        if (refused is null)
        {
            return null;
        }

        // Every trace is asked, the failed ones too: a failed trace that could not put itself back retries here.
        await UndoAsync(batchId, [.. outcomes.Where(o => o.Refusal is null).Select(o => o.TraceId)], trace);
        if (refused.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return refused.Refusal;
    }

    private async Task UndoAsync(string batchId, List<string> traceIds, Func<string, ITraceGrain> trace)
    {
        for (var attempt = 0; traceIds.Count > 0; attempt++)
        {
            var failed = (await Task.WhenAll(traceIds.Select(async id =>
            {
                try
                {
                    await trace(id).UndoIngestAsync(batchId);
                    return null;
                }
                catch (Exception ex)
                {
                    return attempt < UndoBackoff.Length ? id : LogUndoFailed(id, ex);
                }
            }))).OfType<string>().ToList();

            if (failed.Count == 0 || attempt >= UndoBackoff.Length)
            {
                return;
            }

            traceIds = failed;
            await Task.Delay(UndoBackoff[attempt]);
        }
    }

    private string? LogUndoFailed(string traceId, Exception exception)
    {
        LogUndoGaveUp(logger, exception, traceId);
        return null;
    }

    private sealed record Outcome(string TraceId, RequestError? Refusal, Exception? Failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Taking trace {TraceId} back from a refused batch failed after retries; it keeps what the batch stored")]
    private static partial void LogUndoGaveUp(ILogger logger, Exception exception, string traceId);
}
