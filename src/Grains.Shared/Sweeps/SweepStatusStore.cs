using System.Collections.Concurrent;

namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// Where clients read sweeps' status. A sweep grain publishes its snapshot here at every checkpoint — status, counts
/// and spend exactly as its <see cref="ISweepGrain.GetAsync"/> answers them, which are also as of the last checkpoint —
/// and when it activates; a deleted sweep's row goes first. So <c>GET /api/v1/sweeps[/{id}]</c> is one indexed read,
/// not a call into a silo that is busy running the sweep (a status read queued behind the replays' work there, up to
/// a tenth of a second at the 99th percentile in a 100,000-trace sweep), and listing a project's sweeps activates none.
/// A snapshot's time left is as of its publishing: readers take <see cref="SweepProgress.AsOf"/>.
/// </summary>
public interface ISweepStatusStore
{
    /// <summary>Stores the sweep's snapshot, replacing the one before.</summary>
    Task PublishAsync(SweepSnapshot sweep, CancellationToken cancellationToken = default);

    /// <summary>The project's sweep of that id; null when none is published.</summary>
    Task<SweepSnapshot?> GetAsync(string project, string sweepId, CancellationToken cancellationToken = default);

    /// <summary>The project's published sweeps, newest first.</summary>
    Task<IReadOnlyList<SweepSnapshot>> ListAsync(string project, CancellationToken cancellationToken = default);

    /// <summary>Removes a sweep's snapshot; an unknown id changes nothing.</summary>
    Task DeleteAsync(string sweepId, CancellationToken cancellationToken = default);
}

/// <summary>The status store of the all-in-one host (in-memory storage): the API and its silo share the process.</summary>
public sealed class InMemorySweepStatusStore : ISweepStatusStore
{
    private readonly ConcurrentDictionary<string, SweepSnapshot> _sweeps = new(StringComparer.Ordinal);

    public Task PublishAsync(SweepSnapshot sweep, CancellationToken cancellationToken = default)
    {
        _sweeps[sweep.Id] = sweep;
        return Task.CompletedTask;
    }

    public Task<SweepSnapshot?> GetAsync(string project, string sweepId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_sweeps.TryGetValue(sweepId, out var sweep) && sweep.Project == project ? sweep : null);

    public Task<IReadOnlyList<SweepSnapshot>> ListAsync(string project, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<SweepSnapshot>>(
            [.. _sweeps.Values.Where(s => s.Project == project).OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal)]);

    public Task DeleteAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        _sweeps.TryRemove(sweepId, out _);
        return Task.CompletedTask;
    }
}
