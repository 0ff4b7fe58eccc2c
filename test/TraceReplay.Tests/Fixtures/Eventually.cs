namespace TraceReplay.Tests.Fixtures;

/// <summary>Awaits a condition that another part of the system makes true, failing with a message on timeout.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var last = await probe();
        while (!done(last))
        {
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}; last value: {last}");
            }

            // Status is only observable by asking; re-ask at a short interval until the deadline.
            await Task.Delay(25, CancellationToken.None);
            last = await probe();
        }

        return last;
    }
}
