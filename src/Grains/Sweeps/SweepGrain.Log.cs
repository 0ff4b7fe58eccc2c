namespace TraceReplay.Grains.Sweeps;

public sealed partial class SweepGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} started over {Traces} traces")]
    private static partial void LogStarted(ILogger logger, string sweepId, int traces);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} deleted; its pins are released")]
    private static partial void LogDeleted(ILogger logger, string sweepId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} finished: {Status}")]
    private static partial void LogFinished(ILogger logger, string sweepId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} re-queued {Count} failed traces")]
    private static partial void LogRetried(ILogger logger, string sweepId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} stopped before passing its budget of {Budget} USD")]
    private static partial void LogBudgetStop(ILogger logger, string sweepId, decimal budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {SweepId} could not advance; the next tick or its reminder will retry")]
    private static partial void LogDriveFailed(ILogger logger, Exception exception, string sweepId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {SweepId} could not start the replay of trace {TraceId}; it stays queued")]
    private static partial void LogStartFailed(ILogger logger, Exception exception, string sweepId, string traceId);
}
