namespace TraceReplay.Grains;

/// <summary>
/// What one project (key: project id) has in flight: replays started through the API and sweeps. A slot is taken
/// under the work's id as it is admitted (a replay: inside its one admission call, ITraceGrain.StartReplayAsync) and
/// freed when the work is seen finished, so no other grain has to report back. A slot whose work cannot be found yet is kept for a minute.
/// Sweeps' and backfills' slots are stored; replays' slots are kept in memory and taken again by a replay that resumes.
/// </summary>
[Alias("TraceReplay.IProjectQuotaGrain")]
public interface IProjectQuotaGrain : IGrainWithStringKey
{
    /// <summary>Takes a slot for <paramref name="id"/>; false when <paramref name="limit"/> unfinished ones already hold slots.</summary>
    [Alias("TryAcquireAsync")]
    Task<bool> TryAcquireAsync(QuotaKind kind, string id, int limit);

    /// <summary>Takes a slot for <paramref name="id"/> whatever the limit: work admitted earlier that resumes after a crash.</summary>
    [Alias("HoldAsync")]
    Task HoldAsync(QuotaKind kind, string id);

    /// <summary>Frees a slot at once (the work was refused after its slot was taken).</summary>
    [Alias("ReleaseAsync")]
    Task ReleaseAsync(QuotaKind kind, string id);
}
