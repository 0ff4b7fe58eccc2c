namespace TraceReplay.Grains;

/// <summary>The retention job (key: project): purges traces older than the retention window, on a reminder.</summary>
[Alias("TraceReplay.IRetentionGrain")]
public interface IRetentionGrain : IGrainWithStringKey
{
    /// <summary>Registers the job's reminder; repeating it changes nothing.</summary>
    [Alias("EnsureScheduledAsync")]
    Task EnsureScheduledAsync();

    /// <summary>Purges every unpinned trace past the window now; reports how many it purged and how many it kept for pins.</summary>
    [Alias("PurgeExpiredReportAsync"), ResponseTimeout("00:10:00")]
    Task<RetentionReport> PurgeExpiredAsync();
}

/// <summary>One retention pass: traces purged, and traces past the window kept because something pins them.</summary>
[GenerateSerializer, Immutable]
public sealed record RetentionReport(
    [property: Id(0)] int Purged,
    [property: Id(1)] long KeptForPins);
