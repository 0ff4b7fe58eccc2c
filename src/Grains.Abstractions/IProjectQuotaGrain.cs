namespace TraceReplay.Grains;

/// <summary>
/// What one project (key: project id) has in flight: replays started through the API and sweeps. A slot is taken
/// before the work starts (under its id, or a reservation confirmed once the id is known) and freed when the work is
/// seen finished, so no other grain has to report back. A slot whose work cannot be found yet is kept for a minute.
/// </summary>
[Alias("TraceReplay.IProjectQuotaGrain")]
public interface IProjectQuotaGrain : IGrainWithStringKey
{
    /// <summary>Takes a slot for <paramref name="id"/>; false when <paramref name="limit"/> unfinished ones already hold slots.</summary>
    [Alias("TryAcquireAsync")]
    Task<bool> TryAcquireAsync(QuotaKind kind, string id, int limit);

    /// <summary>Moves a slot taken under a reservation to the id the work got once it started.</summary>
    [Alias("ConfirmAsync")]
    Task ConfirmAsync(QuotaKind kind, string reservation, string id);

    /// <summary>Frees a slot at once (the work was refused after its slot was taken).</summary>
    [Alias("ReleaseAsync")]
    Task ReleaseAsync(QuotaKind kind, string id);
}
