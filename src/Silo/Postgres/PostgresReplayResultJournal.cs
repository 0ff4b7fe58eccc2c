using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization;
using TraceReplay.Grains.Replays;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// The replay result journal in table <c>replay_results</c> (migration 0012), on the process's one data source: a row
/// per result, so a long chain appends O(n) bytes, never rewriting what it stored before. An append is one
/// single-statement INSERT of its rows, sent at once: a replay waits for it, and a queue in front of it (tried: one
/// writer gathering every replay's appends) made replays slower at zero LLM latency, where a sweep's window is bound by
/// each replay's time. Deletes, which nobody waits for, are gathered for <see cref="DeleteLinger"/> into one
/// <c>DELETE … WHERE replay_id = ANY(…)</c> per round: one commit, not one per replay. Payloads are written with
/// Orleans' serializer.
/// </summary>
public sealed partial class PostgresReplayResultJournal : IReplayResultJournal, IAsyncDisposable
{
    private const int MaxDeletesPerRound = 10_000;

    /// <summary>How long a delete round gathers finished replays: their rows are harmless meanwhile.</summary>
    internal static readonly TimeSpan DeleteLinger = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _db;
    private readonly Serializer _serializer;
    private readonly ILogger<PostgresReplayResultJournal> _logger;
    private readonly GroupedDeletes _deletes;

    public PostgresReplayResultJournal(NpgsqlDataSource db, Serializer serializer, ILogger<PostgresReplayResultJournal> logger)
    {
        _db = db;
        _serializer = serializer;
        _logger = logger;
        _deletes = new GroupedDeletes(db, "DELETE FROM replay_results WHERE replay_id = ANY($1)", MaxDeletesPerRound, DeleteLinger,
            (ex, count) => LogDeleteFailed(_logger, ex, count));
    }

    public async Task AppendAsync(string replayId, IReadOnlyList<JournaledResult> results, CancellationToken cancellationToken = default)
    {
        if (results.Count == 0)
        {
            return;
        }

        // A repeated append (one reported failed that had committed) changes nothing: a span's result is made once.
        await using var command = _db.CreateCommand("""
            INSERT INTO replay_results (replay_id, span_id, payload)
            SELECT $1, span_id, payload FROM unnest($2::text[], $3::bytea[]) AS r (span_id, payload)
            ON CONFLICT (replay_id, span_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = replayId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. results.Select(r => r.Result.SourceSpanId)] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]>
        {
            TypedValue = [.. results.Select(r => _serializer.SerializeToArray(r))],
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea,
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
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

    public Task DiscardAsync(string replayId, CancellationToken cancellationToken = default) => _deletes.DeleteAsync(replayId, cancellationToken);

    public ValueTask DisposeAsync() => _deletes.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the journaled results of {Count} finished replays failed; each is deleted again when its replay is activated again")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, int count);
}
