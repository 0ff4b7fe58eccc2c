using Microsoft.Extensions.Hosting;
using TraceReplay.Grains.Telemetry;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// The silo-local gate in front of the LlmSpanWorker pool. A caller waits here — outside any grain call — until one
/// of the silo's worker activations is free, so no call ever sits in a worker's queue counting against Orleans'
/// response timeout. Everything that calls an LLM goes through <see cref="CallAsync"/>. Before a slot, a call to a real
/// provider takes a permit of the cluster-wide adaptive rate (<see cref="ProviderRateGate"/>); both waits count as WaitMs.
/// </summary>
public sealed class LlmPool
{
    private readonly FairSlots _slots = new(LlmSpanWorker.ActivationsPerSilo);
    private readonly IGrainFactory _grains;
    private readonly ProviderRateGate _gate;
    private readonly CancellationToken _stopping;
    private ILlmSpanWorker? _worker;

    public LlmPool(IGrainFactory grains, ProviderRateGate gate, ILocalSiloDetails? silo = null, IHostApplicationLifetime? lifetime = null)
    {
        _grains = grains;
        _gate = gate;
        _stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        TraceReplayMetrics.ObservePool(silo?.SiloAddress.ToString() ?? "local", () => (InUse, LlmSpanWorker.ActivationsPerSilo));
    }

    /// <summary>Calls currently holding a worker slot on this silo.</summary>
    public int InUse => _slots.InUse;

    /// <summary>A call on behalf of no project in particular (the evaluators' judges share one turn).</summary>
    public Task<LlmCallResult> CallAsync(LlmCallRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(request, "", cancellationToken);

    /// <summary>
    /// A call for <paramref name="project"/>: slots go round between the projects with calls waiting, so one project's
    /// queue (or a model that never answers) cannot hold another project's call for longer than one call of its own.
    /// </summary>
    public async Task<LlmCallResult> CallAsync(LlmCallRequest request, string project, CancellationToken cancellationToken = default)
    {
        // The host's stopping token ends waits here; the worker hands the same token to the SDK call.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        cancellationToken = stop.Token;
        var waitStarted = TimeProvider.System.GetTimestamp();
        var limited = _gate.KeyFor(request.Model);
        if (limited is not null)
        {
            await _gate.WaitAsync(limited, cancellationToken);
        }

        using var slot = await _slots.WaitAsync(project, cancellationToken);
        var queued = TimeProvider.System.GetElapsedTime(waitStarted);
        TraceReplayMetrics.PoolWaited(queued);
        // Stateless workers always activate on the calling silo, so this gate sees every call they get here.
        var result = await (_worker ??= _grains.GetGrain<ILlmSpanWorker>(0)).ExecuteAsync(request);
        if (limited is not null)
        {
            await _gate.ReportAsync(limited, result);
        }

        return result with { WaitMs = result.WaitMs + queued.TotalMilliseconds };
    }
}
