namespace TraceReplay.Grains.Llm.Simulation;

/// <summary>Prompt token counts with OpenAI's published accounting for chat requests.</summary>
internal static class PromptTokens
{
    // A few framing tokens per message, one more for a name, and a few that prime the reply. A low-detail image
    // costs a flat 85 tokens.
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPrimingTokens = 3;
    private const int TokensPerImage = 85;

    public static int Count(SimulatedPrompt prompt)
    {
        var total = ReplyPrimingTokens + TokenCounter.Count(prompt.ToolsJson);
        foreach (var message in prompt.Messages)
        {
            total += TokensPerMessage
                + TokenCounter.Count(message.Role)
                + TokenCounter.Count(message.Text)
                + TokenCounter.Count(message.ToolCalls)
                + message.Images * TokensPerImage;
            if (message.Name is not null)
            {
                total += TokensPerName + TokenCounter.Count(message.Name);
            }
        }

        return total;
    }
}
