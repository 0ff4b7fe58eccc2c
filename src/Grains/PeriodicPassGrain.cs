namespace TraceReplay.Grains;

/// <summary>
/// A grain that does one pass of background work per tick of its reminder (registered by
/// <see cref="EnsureScheduledAsync"/>): the pass runs in a one-shot grain timer, because a large pass outlasts a
/// reminder tick's 30 s response timeout, and never overlaps the one before it. Retention and evaluation recovery.
/// </summary>
public abstract class PeriodicPassGrain : Grain, IRemindable
{
    private IGrainTimer? _pass;

    protected abstract string ReminderName { get; }

    protected abstract TimeSpan Period { get; }

    protected abstract Task RunPassAsync();

    public async Task EnsureScheduledAsync()
    {
        if (await this.GetReminder(ReminderName) is null)
        {
            await this.RegisterOrUpdateReminder(ReminderName, Period, Period);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _pass ??= this.RegisterGrainTimer(async _ =>
        {
            try
            {
                await RunPassAsync();
            }
            finally
            {
                _pass?.Dispose();
                _pass = null;
            }
        }, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        return Task.CompletedTask;
    }
}
