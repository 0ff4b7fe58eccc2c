using Microsoft.Extensions.Logging;

namespace TraceReplay.Grains.Llm;

public sealed partial class LlmGateway
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "No provider serves model {Model}")]
    private static partial void LogModelNotServed(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Model {Model} is served by {Provider}")]
    private static partial void LogRouted(ILogger logger, string model, string provider);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Provider} answered {Model} after {Attempts} attempt(s) in {LatencyMs:F0} ms")]
    private static partial void LogSucceeded(ILogger logger, string provider, string model, int attempts, double latencyMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Provider} failed for {Model} with status {Status} after {Attempts} attempt(s): {Error}")]
    private static partial void LogFailed(ILogger logger, string provider, string model, int? status, int attempts, string error);
}
