namespace TraceReplay.Grains;

/// <summary>The sweeps of one project (key: project), newest first.</summary>
[Alias("TraceReplay.ISweepRegistryGrain")]
public interface ISweepRegistryGrain : IGrainWithStringKey
{
    /// <summary>Adds a sweep id; adding it again changes nothing.</summary>
    [Alias("AddAsync")]
    Task AddAsync(string sweepId);

    /// <summary>Removes a deleted sweep's id; an unknown id changes nothing.</summary>
    [Alias("RemoveAsync")]
    Task RemoveAsync(string sweepId);

    /// <summary>The project's sweep ids, newest first.</summary>
    [Alias("ListAsync"), AlwaysInterleave]
    Task<IReadOnlyList<string>> ListAsync();
}
