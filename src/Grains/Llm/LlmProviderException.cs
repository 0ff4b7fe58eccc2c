namespace TraceReplay.Grains.Llm;

/// <summary>A provider call that cannot be made or understood; the message is safe to show and holds no key.</summary>
internal sealed class LlmProviderException(string message) : Exception(message);
