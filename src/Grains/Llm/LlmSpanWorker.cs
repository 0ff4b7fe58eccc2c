namespace TraceReplay.Grains.Llm;

/// <summary>
/// The LLM call pool: at most <see cref="ActivationsPerSilo"/> non-reentrant activations per silo, so at most that
/// many LLM calls in flight per silo. Callers go through <see cref="LlmPool"/>, never straight here.
/// </summary>
[StatelessWorker(ActivationsPerSilo)]
public sealed class LlmSpanWorker(LlmGateway gateway) : Grain, ILlmSpanWorker
{
    public const int ActivationsPerSilo = 3;

    public Task<LlmCallResult> ExecuteAsync(LlmCallRequest request) => gateway.CompleteAsync(request);
}
