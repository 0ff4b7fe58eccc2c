using TraceReplay.Tests.Fakes;

namespace TraceReplay.Tests.Fixtures;

/// <summary>Configuration that points TraceReplay at the fake OpenAI-compatible server.</summary>
public static class FakeLlmConfiguration
{
    public const string ApiKey = "sk-test-fake-provider-key-0123456789";

    /// <summary>Served by the fake provider; "unpriced-model" has no price in the table.</summary>
    public static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "unpriced-model"];

    public static Dictionary<string, string?> For(FakeOpenAiServer server)
    {
        var settings = new Dictionary<string, string?>
        {
            ["TraceReplay:Llm:Providers:fake:BaseUrl"] = server.BaseUrl,
            ["TraceReplay:Llm:Providers:fake:ApiKey"] = ApiKey,
            ["TraceReplay:Llm:Retry:MaxRetries"] = "2",
            ["TraceReplay:Llm:Retry:BaseDelay"] = "00:00:00.010",
            ["TraceReplay:Llm:Retry:MaxDelay"] = "00:00:02",
        };
        for (var i = 0; i < Models.Length; i++)
        {
            settings[$"TraceReplay:Llm:Providers:fake:Models:{i}"] = Models[i];
        }

        return settings;
    }
}
