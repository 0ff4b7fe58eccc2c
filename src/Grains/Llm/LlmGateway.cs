namespace TraceReplay.Grains.Llm;

// STUB: replaced by the gateway branch.
public sealed class LlmGateway
{
    public Task<LlmCallResult> CompleteAsync(LlmCallRequest request, CancellationToken ct = default) => throw new NotImplementedException();
}
