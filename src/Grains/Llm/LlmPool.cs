using TraceReplay.Grains.Telemetry;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// The silo-local gate in front of the LlmSpanWorker pool. A caller waits here — outside any grain call — until one
/// of the silo's worker activations is free, so no call ever sits in a worker's queue counting against Orleans'
/// response timeout. Everything that calls an LLM goes through <see cref="CallAsync"/>.
/// </summary>
public sealed class LlmPool
{
    private readonly SemaphoreSlim _slots = new(LlmSpanWorker.ActivationsPerSilo, LlmSpanWorker.ActivationsPerSilo);
    private readonly IGrainFactory _grains;

    public LlmPool(IGrainFactory grains, ILocalSiloDetails? silo = null)
    {
        _grains = grains;
        TraceReplayMetrics.ObservePool(silo?.SiloAddress.ToString() ?? "local", () => (InUse, LlmSpanWorker.ActivationsPerSilo));
    }

    /// <summary>Calls currently holding a worker slot on this silo.</summary>
    public int InUse => LlmSpanWorker.ActivationsPerSilo - _slots.CurrentCount;

    public async Task<LlmCallResult> CallAsync(LlmCallRequest request, CancellationToken cancellationToken = default)
    {
        var waitStarted = TimeProvider.System.GetTimestamp();
        await _slots.WaitAsync(cancellationToken);
        var queued = TimeProvider.System.GetElapsedTime(waitStarted);
        TraceReplayMetrics.PoolWaited(queued);
        try
        {
            // Stateless workers always activate on the calling silo, so this gate sees every call they get here.
            var result = await _grains.GetGrain<ILlmSpanWorker>(0).ExecuteAsync(request);
            return result with { WaitMs = result.WaitMs + queued.TotalMilliseconds };
        }
        finally
        {
            _slots.Release();
        }
    }
}
