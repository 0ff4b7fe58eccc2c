using System.Text.Json;

namespace TraceReplay.Grains.Llm.Simulation;

/// <summary>Whether the simulator answers in prose or in JSON.</summary>
internal enum ResponseFormat
{
    Text = 0,
    Json = 1,
}

/// <summary>One message of the request as the simulator needs it: text, tool calls as text, and how many images.</summary>
internal sealed record PromptMessage(string Role, string Text, string ToolCalls, int Images, string? Name);

/// <summary>What the simulator reads from a chat-completions request body.</summary>
internal sealed record SimulatedPrompt(
    IReadOnlyList<PromptMessage> Messages,
    string? ToolsJson,
    ResponseFormat Format,
    JsonElement? Schema,
    int? MaxTokens);
