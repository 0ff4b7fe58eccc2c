using System.Collections.Concurrent;
using System.Data.Common;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;

namespace TraceReplay.Api.Apis;

/// <summary>
/// How the API reads sweeps: from the <see cref="ISweepStatusStore"/> the sweep grains publish to, so a status poll
/// does not wait behind a busy silo's work. A sweep stored before the store existed has no row until its grain next
/// activates, which publishes it: a read of one sweep falls back to its grain, and the first listing of a project in
/// this process asks the project's registry for sweeps the store lacks (activating them fills their rows). While the
/// store cannot be reached (a database outage) the grains answer, from the silos' memory, as before the store existed.
/// </summary>
public sealed class SweepStatuses(ISweepStatusStore store, IClusterClient grains, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, bool> _listedProjects = new(StringComparer.Ordinal);

    /// <summary>The project's sweep of that id, its time left as of now; null when the project has none of that id.</summary>
    public async Task<SweepSnapshot?> FindAsync(string project, string sweepId)
    {
        var sweep = await FromStoreAsync(() => store.GetAsync(project, sweepId))
            ?? (await grains.GetGrain<ISweepGrain>(sweepId).GetAsync() is { } stored && stored.Project == project ? stored : null);
        return sweep?.AsOf(time.GetUtcNow());
    }

    /// <summary>The project's sweeps, newest first, their time left as of now.</summary>
    public async Task<IReadOnlyList<SweepSnapshot>> ListAsync(string project)
    {
        var published = await FromStoreAsync<IReadOnlyList<SweepSnapshot>>(async () => await store.ListAsync(project));
        IEnumerable<SweepSnapshot> sweeps = published ?? [];
        if (published is null || !_listedProjects.ContainsKey(project))
        {
            var known = sweeps.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var missing = (await grains.GetGrain<ISweepRegistryGrain>(project).ListAsync()).Where(id => !known.Contains(id));
            var filled = await Task.WhenAll(missing.Select(id => grains.GetGrain<ISweepGrain>(id).GetAsync()));
            sweeps = sweeps.Concat(filled.OfType<SweepSnapshot>().Where(s => s.Project == project))
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal);
            if (published is not null)
            {
                _listedProjects.TryAdd(project, true);
            }
        }

        var now = time.GetUtcNow();
        return [.. sweeps.Select(s => s.AsOf(now))];
    }

    /// <summary>The store's answer; null when the store cannot be reached, so that the grains answer instead.</summary>
    private static async Task<T?> FromStoreAsync<T>(Func<Task<T?>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (DbException)
        {
            return null;
        }
    }
}
