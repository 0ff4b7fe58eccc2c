namespace TraceReplay.Grains.Sweeps;

/// <summary>The timer that drives a long-running grain (a sweep, a backfill) until its work is done.</summary>
internal static class DrivingTimer
{
    /// <summary>
    /// Ticks at once, then every <paramref name="period"/>. Not interleaved: ticks, pushes and requests take turns, so
    /// state writes never overlap. Keeps the activation alive while it runs; the grain disposes of it when done.
    /// </summary>
    public static IGrainTimer Start(IGrainBase grain, Func<CancellationToken, Task> drive, TimeSpan period) =>
        grain.RegisterGrainTimer(drive, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = period,
            Interleave = false,
            KeepAlive = true,
        });
}
