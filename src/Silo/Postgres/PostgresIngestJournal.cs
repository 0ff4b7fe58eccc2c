using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization;
using TraceReplay.Grains.Ingestion;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// The ingest journal in table <c>ingest_journal</c> (migration 0009), on the process's one data source: one
/// single-statement INSERT accepts a batch, one DELETE retires it. The payload is written with Orleans' serializer.
/// </summary>
public sealed class PostgresIngestJournal(NpgsqlDataSource db, Serializer serializer) : IIngestJournal
{
    public async Task AppendAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand("INSERT INTO ingest_journal (batch_id, payload) VALUES ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.Id });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = serializer.SerializeToArray(batch), NpgsqlDbType = NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DiscardAsync(string batchId, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand("DELETE FROM ingest_journal WHERE batch_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batchId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<IngestBatch>> OlderThanAsync(TimeSpan age, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand(
            "SELECT payload FROM ingest_journal WHERE journaled_at <= now() - $1 ORDER BY journaled_at LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = age });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var batches = new List<IngestBatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            batches.Add(serializer.Deserialize<IngestBatch>(reader.GetFieldValue<byte[]>(0))!);
        }

        return batches;
    }
}
