namespace TraceReplay.Grains.Projects;

[GenerateSerializer, Alias("TraceReplay.ProjectQuotaState")]
public sealed class ProjectQuotaState
{
    /// <summary>
    /// Per kind, the ids holding a slot and when each slot was taken: sweeps and backfills only. Replays' slots are kept
    /// in memory (state written before that may still hold some: they are moved to memory on activation).
    /// </summary>
    [Id(0)] public Dictionary<QuotaKind, Dictionary<string, DateTimeOffset>> Slots { get; set; } = [];
}

/// <summary>
/// Counts one project's replays and sweeps in flight; see <see cref="IProjectQuotaGrain"/>. Finished work is found by
/// asking the replay or sweep (read-only, interleaved calls) only when the limit is reached, so the common case is
/// one in-memory check. A sweep's or backfill's slot is written (one per sweep, for thousands of replays); a replay's
/// slot is not, so a replay's admission writes nothing here: a replay that resumes after a crash takes its slot again
/// (<see cref="HoldAsync"/>). When this grain's silo dies, the replays in flight are not counted until they resume (within
/// a reminder period), so in that window a project can be admitted up to its limit again.
/// </summary>
public sealed class ProjectQuotaGrain(
    [PersistentState("project-quota", TraceReplayNames.ProjectStorage)] IPersistentState<ProjectQuotaState> state,
    TimeProvider time) : Grain, IProjectQuotaGrain
{
    /// <summary>How long a slot is kept while its replay or sweep cannot be found (a reservation, or work still starting).</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, DateTimeOffset> _replays = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Written by an earlier version: kept as in-memory slots (pruned like any other), dropped from the state at its next write.
        if (state.State.Slots.Remove(QuotaKind.Replays, out var stored))
        {
            foreach (var (id, at) in stored)
            {
                _replays[id] = at;
            }
        }

        return Task.CompletedTask;
    }

    public async Task<bool> TryAcquireAsync(QuotaKind kind, string id, int limit)
    {
        var slots = Slots(kind);
        if (slots.Count >= limit && !slots.ContainsKey(id))
        {
            await PruneAsync(kind, slots);
        }

        if (slots.Count >= limit && !slots.ContainsKey(id))
        {
            return false;
        }

        slots[id] = time.GetUtcNow();
        if (kind != QuotaKind.Replays)
        {
            await state.WriteStateAsync();
        }

        return true;
    }

    public Task HoldAsync(QuotaKind kind, string id)
    {
        Slots(kind).TryAdd(id, time.GetUtcNow());
        return kind == QuotaKind.Replays ? Task.CompletedTask : state.WriteStateAsync();
    }

    public async Task ReleaseAsync(QuotaKind kind, string id)
    {
        if (Slots(kind).Remove(id) && kind != QuotaKind.Replays)
        {
            await state.WriteStateAsync();
        }
    }

    private Dictionary<string, DateTimeOffset> Slots(QuotaKind kind) =>
        kind == QuotaKind.Replays ? _replays
        : state.State.Slots.TryGetValue(kind, out var slots) ? slots : state.State.Slots[kind] = new(StringComparer.Ordinal);

    private async Task PruneAsync(QuotaKind kind, Dictionary<string, DateTimeOffset> slots)
    {
        var now = time.GetUtcNow();
        var ids = slots.Keys.ToList();
        var live = await Task.WhenAll(ids.Select(id => IsLiveAsync(kind, id, now - slots[id] < Grace)));
        for (var i = 0; i < ids.Count; i++)
        {
            if (!live[i])
            {
                slots.Remove(ids[i]);
            }
        }
    }

    private async Task<bool> IsLiveAsync(QuotaKind kind, string id, bool young) => kind switch
    {
        QuotaKind.Replays => await GrainFactory.GetGrain<IReplayGrain>(id).GetAsync() is { } replay
            ? replay.Status is ReplayStatus.Pending or ReplayStatus.Running
            : young,
        QuotaKind.Sweeps => await GrainFactory.GetGrain<ISweepGrain>(id).GetAsync() is { } sweep
            ? sweep.Status is SweepStatus.Pending or SweepStatus.Running
            : young,
        QuotaKind.Backfills => await GrainFactory.GetGrain<IBackfillGrain>(id).GetAsync() is { } backfill
            ? backfill.Status is BackfillStatus.Pending or BackfillStatus.Running
            : young,
        _ => false,
    };
}
