using System.Reflection;
using Microsoft.Extensions.Logging;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains.Llm;
using TraceReplay.Silo;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Operability;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class LogMessageTests
{
    /// <summary>Parameter names that would put a prompt, a model's answer or a secret into a log line.</summary>
    private static readonly string[] Forbidden = ["prompt", "content", "message", "messages", "input", "output", "body", "key", "secret", "password", "connection"];

    [Fact]
    public void NoLogMessageAboveDebugCarriesPromptContentOrAKey()
    {
        var messages = new[] { typeof(ApiHosting).Assembly, typeof(LlmGateway).Assembly, typeof(TraceReplaySiloExtensions).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.True(messages.Count >= 10, "the [LoggerMessage] definitions were not found");
        var offending = messages
            .Where(m => m.Attribute!.Level > LogLevel.Debug)
            .SelectMany(m => m.Method.GetParameters()
                .Where(p => Forbidden.Any(f => p.Name!.Contains(f, StringComparison.OrdinalIgnoreCase)))
                .Select(p => $"{m.Method.DeclaringType!.Name}.{m.Method.Name}({p.Name}) at {m.Attribute!.Level}"))
            .ToList();
        Assert.True(offending.Count == 0, "Log messages above Debug that may carry content or secrets:\n" + string.Join("\n", offending));
    }
}
