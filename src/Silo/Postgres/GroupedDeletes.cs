using System.Threading.Channels;
using Npgsql;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// Group-committed deletes by key for the journals: whatever is queued when a round starts (after
/// <paramref name="linger"/>, at most <paramref name="maxPerRound"/> keys) goes in one statement,
/// <paramref name="deleteSql"/> with the distinct keys as its one <c>text[]</c> parameter — one commit per round, not one
/// per key. A failed round fails each of its waiters and is reported to <paramref name="onFailure"/> with its size.
/// </summary>
internal sealed class GroupedDeletes : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly string _deleteSql;
    private readonly int _maxPerRound;
    private readonly TimeSpan _linger;
    private readonly Action<Exception, int> _onFailure;
    private readonly Channel<(string Key, TaskCompletionSource Done)> _queue =
        Channel.CreateUnbounded<(string, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public GroupedDeletes(NpgsqlDataSource db, string deleteSql, int maxPerRound, TimeSpan linger, Action<Exception, int> onFailure)
    {
        (_db, _deleteSql, _maxPerRound, _linger, _onFailure) = (db, deleteSql, maxPerRound, linger, onFailure);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Queues <paramref name="key"/>'s delete; completes when its round committed.</summary>
    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((key, done)))
        {
            throw new ObjectDisposedException(nameof(GroupedDeletes));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task LoopAsync()
    {
        var round = new List<(string Key, TaskCompletionSource Done)>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            if (_linger > TimeSpan.Zero)
            {
                await Task.Delay(_linger);
            }

            while (round.Count < _maxPerRound && _queue.Reader.TryRead(out var next))
            {
                round.Add(next);
            }

            try
            {
                await using var command = _db.CreateCommand(_deleteSql);
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. round.Select(d => d.Key).Distinct(StringComparer.Ordinal)] });
                await command.ExecuteNonQueryAsync();
                round.ForEach(d => d.Done.TrySetResult());
            }
            catch (Exception ex)
            {
                _onFailure(ex, round.Count);
                round.ForEach(d => d.Done.TrySetException(ex));
            }

            round.Clear();
        }
    }
}
