namespace TraceReplay.Grains.Sweeps;

[GenerateSerializer, Alias("TraceReplay.SweepRegistryState")]
public sealed class SweepRegistryState
{
    [Id(0)] public List<string> SweepIds { get; set; } = [];
}

/// <summary>One project's sweep ids, newest first; the sweeps themselves hold everything else.</summary>
public sealed class SweepRegistryGrain(
    [PersistentState("sweep-registry", TraceReplayNames.SweepStorage)] IPersistentState<SweepRegistryState> state)
    : Grain, ISweepRegistryGrain
{
    public async Task AddAsync(string sweepId)
    {
        if (state.State.SweepIds.Contains(sweepId))
        {
            return;
        }

        state.State.SweepIds.Insert(0, sweepId);
        await state.WriteStateAsync();
    }

    public async Task RemoveAsync(string sweepId)
    {
        if (state.State.SweepIds.Remove(sweepId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> ListAsync() => Task.FromResult<IReadOnlyList<string>>([.. state.State.SweepIds]);
}
