namespace TraceReplay.Grains.Llm;

/// <summary>Who serves a model: a named provider, or the offline simulator.</summary>
/// <param name="ProviderName">The provider's configured name, or "simulator".</param>
/// <param name="Simulated">True when the offline simulator answers.</param>
/// <param name="BaseUrl">The provider's base URL (OpenAI-compatible: including the version path); null for the simulator.</param>
/// <param name="Kind">The provider's protocol: <see cref="LlmProviderKinds"/>.</param>
/// <param name="Deployment">Azure OpenAI: the deployment that serves the model.</param>
public sealed record LlmRoute(string ProviderName, bool Simulated, Uri? BaseUrl, string Kind = LlmProviderKinds.OpenAi, string? Deployment = null)
{
    /// <summary>The protocol requests to this route are written in.</summary>
    public string WireFormat => Kind == LlmProviderKinds.Anthropic ? LlmWireFormat.Anthropic : LlmWireFormat.OpenAi;
}

/// <summary>The kinds of provider: the protocol they speak and how they authenticate.</summary>
public static class LlmProviderKinds
{
    /// <summary>OpenAI or any OpenAI-compatible endpoint (Gemini's, Groq, Mistral, Together, vLLM, Ollama): bearer key.</summary>
    public const string OpenAi = "openai";

    /// <summary>Azure OpenAI: a deployment per model, the api-key header and an api-version.</summary>
    public const string AzureOpenAi = "azure-openai";

    /// <summary>Anthropic Messages through the official Anthropic SDK.</summary>
    public const string Anthropic = "anthropic";

    /// <summary>The offline simulator.</summary>
    public const string Simulator = "simulator";

    public static bool IsKnown(string kind) => kind is OpenAi or AzureOpenAi or Anthropic;
}
