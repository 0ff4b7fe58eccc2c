namespace TraceReplay.Grains;

/// <summary>Makes one LLM call. A pool of three non-reentrant activations per silo bounds calls in flight.</summary>
[Alias("TraceReplay.ILlmSpanWorker")]
public interface ILlmSpanWorker : IGrainWithIntegerKey
{
    /// <summary>Calls the provider that serves the request's model, retries included.</summary>
    [Alias("ExecuteAsync"), ResponseTimeout("00:05:00")]
    Task<LlmCallResult> ExecuteAsync(LlmCallRequest request);
}
