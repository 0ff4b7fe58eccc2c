namespace TraceReplay.Grains;

/// <summary>
/// Evaluation recovery (one per cluster, key 0): on a reminder, re-drives traces whose evaluations are still pending
/// one re-drive interval after creation (a lost TraceCreated event, a silo that died before scoring).
/// </summary>
[Alias("TraceReplay.IEvaluationRecoveryGrain")]
public interface IEvaluationRecoveryGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the recovery reminder; repeating it changes nothing.</summary>
    [Alias("EnsureScheduledAsync")]
    Task EnsureScheduledAsync();
}
