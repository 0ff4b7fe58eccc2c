namespace TraceReplay.Grains.Replays;

/// <summary>
/// The LLM results of replays still running, one small row per finished call, appended as they arrive: a replay
/// resumed after a crash reads its rows back and makes none of those calls again (issue 17), while its grain state is
/// written once, at completion, with the new trace. A finished replay's rows are discarded.
/// </summary>
public interface IReplayResultJournal
{
    /// <summary>Appends <paramref name="results"/> of one replay in one statement: when this returns they are durable.</summary>
    Task AppendAsync(string replayId, IReadOnlyList<JournaledResult> results, CancellationToken cancellationToken = default);

    /// <summary>The results journaled for the replay, in no particular order; empty when there are none.</summary>
    Task<IReadOnlyList<JournaledResult>> ReadAsync(string replayId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the rows of a finished replay (grouped with other replays' deletes); an unknown id is ignored.</summary>
    Task DiscardAsync(string replayId, CancellationToken cancellationToken = default);
}

/// <summary>One finished LLM call of a running replay: its result, the price it was charged at, and when the replay started running.</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.JournaledResult")]
public sealed record JournaledResult(
    [property: Id(0)] SpanResult Result,
    [property: Id(1)] DatedPrice? Price,
    [property: Id(2)] DateTimeOffset StartedAt);

/// <summary>The journal of the all-in-one mode: one process, and nothing survives it, as with its in-memory storage.</summary>
public sealed class InMemoryReplayResultJournal : IReplayResultJournal
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, JournaledResult>> _replays = new(StringComparer.Ordinal);

    public Task AppendAsync(string replayId, IReadOnlyList<JournaledResult> results, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_replays.TryGetValue(replayId, out var rows))
            {
                _replays[replayId] = rows = new(StringComparer.Ordinal);
            }

            foreach (var result in results)
            {
                rows.TryAdd(result.Result.SourceSpanId, result);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JournaledResult>> ReadAsync(string replayId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<JournaledResult>>(
                _replays.TryGetValue(replayId, out var rows) ? [.. rows.Values] : []);
        }
    }

    public Task DiscardAsync(string replayId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _replays.Remove(replayId);
        }

        return Task.CompletedTask;
    }
}
