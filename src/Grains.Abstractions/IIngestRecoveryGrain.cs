namespace TraceReplay.Grains;

/// <summary>
/// Ingest recovery (one per cluster, key 0): applies journaled batches whose request did not finish applying them
/// (a silo lost mid-apply, storage failing after the journal commit).
/// </summary>
[Alias("TraceReplay.IIngestRecoveryGrain")]
public interface IIngestRecoveryGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder that keeps recovery running; repeating it changes nothing.</summary>
    [Alias("EnsureScheduledAsync")]
    Task EnsureScheduledAsync();
}
