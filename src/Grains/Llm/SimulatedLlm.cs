namespace TraceReplay.Grains.Llm;

/// <summary>
/// The offline simulator: deterministic answers derived from the request, realistic token counts, configured latency.
/// Every result it gives is marked simulated.
/// </summary>
public sealed class SimulatedLlm
{
    public Task<LlmCallResult> CompleteAsync(LlmCallRequest request, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
