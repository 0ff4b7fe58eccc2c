using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization;
using TraceReplay.Grains.Replays;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// The replay result journal in table <c>replay_results</c> (migration 0012), on the process's one data source: a row
/// per result, so a long chain appends O(n) bytes, never rewriting what it stored before. Appends and deletes are each
/// group-committed: the appends of every replay of the silo queued while the previous round ran go in one
/// single-statement INSERT (an append returns once its round committed), the deletes in one
/// <c>DELETE … WHERE replay_id = ANY(…)</c> — one commit per round, not one per replay: at PostgreSQL's default
/// durability a commit waits for the WAL to reach the disk. Payloads are written with Orleans' serializer.
/// </summary>
public sealed partial class PostgresReplayResultJournal : IReplayResultJournal, IAsyncDisposable
{
    private const int MaxDeletesPerRound = 1_000;
    private const int MaxAppendsPerRound = 500;

    private readonly NpgsqlDataSource _db;
    private readonly Serializer _serializer;
    private readonly ILogger<PostgresReplayResultJournal> _logger;
    private readonly Channel<(string ReplayId, TaskCompletionSource Done)> _deletes =
        Channel.CreateUnbounded<(string, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _deleter;
    private readonly Channel<(string ReplayId, IReadOnlyList<JournaledResult> Results, TaskCompletionSource Done)> _appends =
        Channel.CreateUnbounded<(string, IReadOnlyList<JournaledResult>, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _appender;

    public PostgresReplayResultJournal(NpgsqlDataSource db, Serializer serializer, ILogger<PostgresReplayResultJournal> logger)
    {
        _db = db;
        _serializer = serializer;
        _logger = logger;
        _deleter = Task.Run(DeleteLoopAsync);
        _appender = Task.Run(AppendLoopAsync);
    }

    public Task AppendAsync(string replayId, IReadOnlyList<JournaledResult> results, CancellationToken cancellationToken = default)
    {
        if (results.Count == 0)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_appends.Writer.TryWrite((replayId, results, done)))
        {
            throw new ObjectDisposedException(nameof(PostgresReplayResultJournal));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<JournaledResult>> ReadAsync(string replayId, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand("SELECT payload FROM replay_results WHERE replay_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = replayId });
        var results = new List<JournaledResult>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            results.Add(_serializer.Deserialize<JournaledResult>(reader.GetFieldValue<byte[]>(0))!);
        }

        return results;
    }

    public Task DiscardAsync(string replayId, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_deletes.Writer.TryWrite((replayId, done)))
        {
            throw new ObjectDisposedException(nameof(PostgresReplayResultJournal));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _appends.Writer.TryComplete();
        _deletes.Writer.TryComplete();
        await Task.WhenAll(_appender, _deleter);
    }

    private async Task AppendLoopAsync()
    {
        var round = new List<(string ReplayId, IReadOnlyList<JournaledResult> Results, TaskCompletionSource Done)>();
        while (await _appends.Reader.WaitToReadAsync())
        {
            while (round.Count < MaxAppendsPerRound && _appends.Reader.TryRead(out var next))
            {
                round.Add(next);
            }

            try
            {
                var rows = round.SelectMany(a => a.Results.Select(r => (a.ReplayId, Result: r))).ToList();
                // A repeated append (one reported failed that had committed) changes nothing: a span's result is made once.
                await using var command = _db.CreateCommand("""
                    INSERT INTO replay_results (replay_id, span_id, payload)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
                    ON CONFLICT (replay_id, span_id) DO NOTHING
                    """);
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.ReplayId)] });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Result.Result.SourceSpanId)] });
                command.Parameters.Add(new NpgsqlParameter<byte[][]>
                {
                    TypedValue = [.. rows.Select(r => _serializer.SerializeToArray(r.Result))],
                    NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea,
                });
                await command.ExecuteNonQueryAsync();
                round.ForEach(a => a.Done.TrySetResult());
            }
            catch (Exception ex)
            {
                // Each replay keeps its results and appends them again with its next ones (or stores them at completion).
                round.ForEach(a => a.Done.TrySetException(ex));
            }

            round.Clear();
        }
    }

    private async Task DeleteLoopAsync()
    {
        var round = new List<(string ReplayId, TaskCompletionSource Done)>();
        while (await _deletes.Reader.WaitToReadAsync())
        {
            while (round.Count < MaxDeletesPerRound && _deletes.Reader.TryRead(out var next))
            {
                round.Add(next);
            }

            try
            {
                await using var command = _db.CreateCommand("DELETE FROM replay_results WHERE replay_id = ANY($1)");
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. round.Select(d => d.ReplayId).Distinct(StringComparer.Ordinal)] });
                await command.ExecuteNonQueryAsync();
                round.ForEach(d => d.Done.TrySetResult());
            }
            catch (Exception ex)
            {
                LogDeleteFailed(_logger, ex, round.Count);
                round.ForEach(d => d.Done.TrySetException(ex));
            }

            round.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the journaled results of {Count} finished replays failed; each is deleted again when its replay is activated again")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, int count);
}
