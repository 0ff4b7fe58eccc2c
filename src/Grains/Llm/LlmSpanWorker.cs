using Microsoft.Extensions.Hosting;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// The LLM call pool: at most <see cref="ActivationsPerSilo"/> non-reentrant activations per silo, so at most that
/// many LLM calls in flight per silo. Callers go through <see cref="LlmPool"/>, never straight here.
/// </summary>
[StatelessWorker(ActivationsPerSilo)]
public sealed class LlmSpanWorker(LlmGateway gateway, IHostApplicationLifetime lifetime) : Grain, ILlmSpanWorker
{
    public const int ActivationsPerSilo = 3;

    /// <summary>
    /// A silo that is stopping cancels the call (its retries included): the replay keeps its persisted results and
    /// makes this call again after restart or on another silo, rather than holding the shutdown for minutes.
    /// </summary>
    public Task<LlmCallResult> ExecuteAsync(LlmCallRequest request) => gateway.CompleteAsync(request, lifetime.ApplicationStopping);
}
