using Npgsql;
using Orleans.Serialization;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// The sweep status store in table <c>sweep_status</c> (migration 0013), on the process's one data source: a row per
/// sweep holding its last published snapshot in Orleans' serializer format, listed per project newest first.
/// </summary>
public sealed class PostgresSweepStatusStore(NpgsqlDataSource db, Serializer serializer) : ISweepStatusStore
{
    public async Task PublishAsync(SweepSnapshot sweep, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand("""
            INSERT INTO sweep_status (sweep_id, project, created_at, snapshot) VALUES ($1, $2, $3, $4)
            ON CONFLICT (sweep_id) DO UPDATE SET project = excluded.project, created_at = excluded.created_at,
                published_at = now(), snapshot = excluded.snapshot
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sweep.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sweep.Project });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = sweep.CreatedAt });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = serializer.SerializeToArray(sweep) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<SweepSnapshot?> GetAsync(string project, string sweepId, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand("SELECT snapshot FROM sweep_status WHERE sweep_id = $1 AND project = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sweepId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = project });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<SweepSnapshot>> ListAsync(string project, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand(
            "SELECT snapshot FROM sweep_status WHERE project = $1 ORDER BY created_at DESC, sweep_id DESC");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = project });
        return await ReadAsync(command, cancellationToken);
    }

    public async Task DeleteAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand("DELETE FROM sweep_status WHERE sweep_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sweepId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<SweepSnapshot>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var sweeps = new List<SweepSnapshot>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sweeps.Add(serializer.Deserialize<SweepSnapshot>(reader.GetFieldValue<byte[]>(0))!);
        }

        return sweeps;
    }
}
