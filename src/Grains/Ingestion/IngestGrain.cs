using System.Runtime.ExceptionServices;
using Orleans.Concurrency;

namespace TraceReplay.Grains.Ingestion;

/// <summary>
/// Fans a batch's two steps out to its traces on the silo that received the call (a stateless worker: every silo has
/// its own, so no call crosses to another silo to reach it). Reentrant: it keeps no state, and a call only awaits its
/// traces, so no batch ever waits behind another for this grain. The outcome of a batch is still the API's
/// (<c>BatchIngestor</c>), which journals it between the steps.
/// </summary>
[StatelessWorker(1), Reentrant]
public sealed partial class IngestGrain(ILogger<IngestGrain> logger) : Grain, IIngestGrain
{
    public async Task<RequestError?> PrepareAsync(string batchId, IReadOnlyDictionary<string, string[]> spanIds)
    {
        var outcomes = await Task.WhenAll(spanIds.Select(async part =>
        {
            try
            {
                return new Outcome(await GrainFactory.GetGrain<ITraceGrain>(part.Key).PrepareIngestAsync(batchId, part.Value), null);
            }
            catch (Exception ex)
            {
                return new Outcome(null, ex);
            }
        }));

        if (Array.Find(outcomes, o => o.Refusal is not null || o.Failure is not null) is not { } refused)
        {
            return null;
        }

        Release(batchId, spanIds.Keys);
        if (refused.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return refused.Refusal;
    }

    public Task ReleaseAsync(string batchId, IReadOnlyList<string> traceKeys)
    {
        Release(batchId, traceKeys);
        return Task.CompletedTask;
    }

    public Task<bool> ApplyAsync(string batchId, IReadOnlyDictionary<string, TraceIngest> traces) =>
        new IngestBatch(batchId, traces).ApplyAsync(GrainFactory, (trace, ex) => LogApplyFailed(logger, ex, batchId, trace));

    private void Release(string batchId, IEnumerable<string> traceKeys)
    {
        foreach (var key in traceKeys)
        {
            // One-way: the room is given back whenever the call arrives, or expires.
            _ = GrainFactory.GetGrain<ITraceGrain>(key).ReleaseIngestAsync(batchId);
        }
    }

    private sealed record Outcome(RequestError? Refusal, Exception? Failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying accepted batch {BatchId} to trace {Trace} failed; ingest recovery applies it from the journal")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string batchId, string trace);
}
