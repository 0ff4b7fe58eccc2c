namespace TraceReplay.Grains;

/// <summary>The retention job (key: project): purges traces older than the retention window, on a reminder.</summary>
[Alias("TraceReplay.IRetentionGrain")]
public interface IRetentionGrain : IGrainWithStringKey
{
    /// <summary>Registers the job's reminder; repeating it changes nothing.</summary>
    [Alias("EnsureScheduledAsync")]
    Task EnsureScheduledAsync();

    /// <summary>Purges every trace past the window now and returns how many were purged.</summary>
    [Alias("PurgeExpiredAsync"), ResponseTimeout("00:10:00")]
    Task<int> PurgeExpiredAsync();
}
