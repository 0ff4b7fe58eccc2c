using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization;
using TraceReplay.Grains.Ingestion;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// The ingest journal in table <c>ingest_journal</c> (migration 0009), on the process's one data source: one
/// single-statement INSERT accepts a batch. Deletes are group-committed: whatever is queued goes in one
/// <c>DELETE … WHERE batch_id = ANY(…)</c>, so retiring applied batches costs one commit per round, not one per
/// batch. The payload is written with Orleans' serializer.
/// </summary>
public sealed partial class PostgresIngestJournal : IIngestJournal, IAsyncDisposable
{
    private const int MaxDeletesPerRound = 1_000;

    private readonly NpgsqlDataSource _db;
    private readonly Serializer _serializer;
    private readonly ILogger<PostgresIngestJournal> _logger;
    private readonly GroupedDeletes _deletes;

    public PostgresIngestJournal(NpgsqlDataSource db, Serializer serializer, ILogger<PostgresIngestJournal> logger)
    {
        _db = db;
        _serializer = serializer;
        _logger = logger;
        _deletes = new GroupedDeletes(db, "DELETE FROM ingest_journal WHERE batch_id = ANY($1)", MaxDeletesPerRound, TimeSpan.Zero,
            (ex, count) => LogDeleteFailed(_logger, ex, count));
    }

    public async Task AppendAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand("INSERT INTO ingest_journal (batch_id, payload) VALUES ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.Id });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = _serializer.SerializeToArray(batch), NpgsqlDbType = NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task DiscardAsync(string batchId, CancellationToken cancellationToken = default) => _deletes.DeleteAsync(batchId, cancellationToken);

    public async Task<IReadOnlyList<IngestBatch>> OlderThanAsync(TimeSpan age, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand(
            "SELECT payload FROM ingest_journal WHERE journaled_at <= now() - $1 ORDER BY journaled_at LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = age });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var batches = new List<IngestBatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            batches.Add(_serializer.Deserialize<IngestBatch>(reader.GetFieldValue<byte[]>(0))!);
        }

        return batches;
    }

    public ValueTask DisposeAsync() => _deletes.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting {Count} applied batches from the ingest journal failed; ingest recovery deletes them later")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, int count);
}
