namespace TraceReplay.Grains.Telemetry;

/// <summary>Logging scopes that name what an operation works on, so every line inside carries the ids as fields.</summary>
public static class LogScopes
{
    public static IDisposable? Trace(ILogger logger, string traceId) =>
        logger.BeginScope(new Dictionary<string, object?> { ["TraceId"] = traceId });

    public static IDisposable? Replay(ILogger logger, string replayId, string? traceId) =>
        logger.BeginScope(new Dictionary<string, object?> { ["ReplayId"] = replayId, ["TraceId"] = traceId });
}
