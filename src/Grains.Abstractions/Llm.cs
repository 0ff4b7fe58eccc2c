namespace TraceReplay.Grains;

/// <summary>One LLM call: the model and the request body (messages, tools, parameters) as recorded.</summary>
/// <param name="Format">The protocol the body is written in: "openai" (chat completions) or "anthropic" (Messages).
/// The gateway writes it in the serving provider's protocol.</param>
[GenerateSerializer, Immutable]
public sealed record LlmCallRequest(
    [property: Id(0)] string Model,
    [property: Id(1)] string RequestBodyJson,
    [property: Id(2)] string Format = "openai");

/// <summary>The outcome of one LLM call, after the provider's retries.</summary>
/// <param name="MessageJson">The assistant message object (role, content, tool_calls) on success.</param>
/// <param name="LatencyMs">Time of the successful attempt alone; waiting and backing off are in WaitMs.</param>
/// <param name="Format">The protocol of <paramref name="MessageJson"/>: the serving provider's.</param>
/// <param name="DroppedParameters">Recorded or overridden parameters the serving provider does not accept, left out.</param>
[GenerateSerializer, Immutable]
public sealed record LlmCallResult(
    [property: Id(0)] bool Succeeded,
    [property: Id(1)] string? MessageJson,
    [property: Id(2)] int PromptTokens,
    [property: Id(3)] int CompletionTokens,
    [property: Id(4)] double LatencyMs,
    [property: Id(5)] bool Simulated,
    [property: Id(6)] int? ErrorStatus,
    [property: Id(7)] string? ErrorMessage,
    [property: Id(8)] string? ResponseModel = null,
    [property: Id(9)] double WaitMs = 0,
    [property: Id(10)] int Attempts = 1,
    [property: Id(11)] int Throttled = 0,
    [property: Id(12)] string Format = "openai",
    [property: Id(13)] IReadOnlyList<string>? DroppedParameters = null)
{
    public static LlmCallResult Failure(int? status, string message, double latencyMs = 0, int attempts = 1) =>
        new(false, null, 0, 0, latencyMs, false, status, message, Attempts: attempts);
}
