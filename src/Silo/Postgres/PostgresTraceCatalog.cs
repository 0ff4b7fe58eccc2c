using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// The catalog in PostgreSQL (table <c>trace_catalog</c>). Writes are group-committed: every upsert and every
/// "evaluations done" mark joins a queue that one writer drains into one multi-row <c>INSERT … ON CONFLICT</c> and one
/// <c>UPDATE</c> per batch, and the caller's task completes when its write is committed. So ingestion answers only
/// after its rows are stored, and a read that follows sees them.
/// </summary>
public sealed partial class PostgresTraceCatalog : ITraceCatalog, IAsyncDisposable
{
    private const string Columns =
        "project, trace_id, name, status, tags, metadata_json, timestamp_ticks, trace_time, end_ticks, duration_ms, " +
        "total_tokens, total_cost, span_count, models, replay_of_trace_id, replay_of_replay_id, simulated, created_ticks, " +
        "evaluations_pending";

    private const int ColumnCount = 19;

    // Whether anything pins the row's trace (table trace_pins): the filter's form.
    private const string PinnedColumn = "EXISTS (SELECT 1 FROM trace_pins p WHERE p.project = c.project AND p.trace_id = c.trace_id)";

    // The same, read as the column after Columns: one primary-key probe per row returned. As an EXISTS in the select
    // list, PostgreSQL sizes its choice by the rows the index scan could return before the LIMIT and hashes every pin
    // of every project instead (a sequential scan of trace_pins per listing, which a 100,000-trace sweep fills).
    private const string SelectRows =
        $"SELECT {Columns}, pin.pinned IS NOT NULL FROM trace_catalog c LEFT JOIN LATERAL " +
        "(SELECT true AS pinned FROM trace_pins p WHERE p.project = c.project AND p.trace_id = c.trace_id LIMIT 1) pin ON true";

    private readonly NpgsqlDataSource _db;
    private readonly int _batchSize;
    private readonly ILogger<PostgresTraceCatalog> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public PostgresTraceCatalog(NpgsqlDataSource db, IOptions<PostgresOptions> options, ILogger<PostgresTraceCatalog> logger)
    {
        _db = db;
        _batchSize = Math.Clamp(options.Value.CatalogBatchSize, 1, 3000);
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    public Task UpsertAsync(TraceCatalogRow row, CancellationToken cancellationToken = default) =>
        EnqueueAsync(row, null, cancellationToken);

    public Task MarkEvaluatedAsync(string project, string traceId, CancellationToken cancellationToken = default) =>
        EnqueueAsync(null, (project, traceId), cancellationToken);

    private Task EnqueueAsync(TraceCatalogRow? row, (string Project, string TraceId)? evaluated, CancellationToken cancellationToken)
    {
        var pending = new Pending(row, evaluated, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(PostgresTraceCatalog));
        }

        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public async Task DeleteAsync(string project, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand("DELETE FROM trace_catalog WHERE project = @project AND trace_id = ANY(@ids)");
        command.Parameters.AddWithValue("project", project);
        command.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, traceIds.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<PendingEvaluation>> PendingEvaluationsAsync(
        DateTimeOffset createdBefore, int limit, PendingEvaluation? after = null, CancellationToken cancellationToken = default)
    {
        // Ordered as the partial index trace_catalog_evaluations_pending, project in ordinal order as in memory.
        await using var command = _db.CreateCommand();
        var sql = new StringBuilder("SELECT project, trace_id, created_ticks FROM trace_catalog WHERE evaluations_pending AND created_ticks < @before");
        command.Parameters.AddWithValue("before", createdBefore.UtcTicks);
        if (after is not null)
        {
            sql.Append(" AND (created_ticks, project COLLATE \"C\", trace_id) > (@afterTicks, @afterProject, @afterId)");
            command.Parameters.AddWithValue("afterTicks", after.CreatedAt.UtcTicks);
            command.Parameters.AddWithValue("afterProject", after.Project);
            command.Parameters.AddWithValue("afterId", after.TraceId);
        }

        sql.Append(" ORDER BY created_ticks, project COLLATE \"C\", trace_id LIMIT @limit");
        command.Parameters.AddWithValue("limit", limit);
        command.CommandText = sql.ToString();

        var traces = new List<PendingEvaluation>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            traces.Add(new PendingEvaluation(reader.GetString(0), reader.GetString(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero)));
        }

        return traces;
    }

    public async Task<TracePage> QueryAsync(TraceQuery query, CancellationToken cancellationToken = default)
    {
        await using var command = QueryCommand(query);
        var rows = new List<TraceCatalogRow>(query.Limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(ReadRow(reader));
            }
        }

        var page = rows.Take(query.Limit).ToList();
        var next = rows.Count > query.Limit ? TraceCursor.Encode(page[^1]) : null;
        return new TracePage(page, next);
    }

    /// <summary>The listing's statement: one page and one row more, newest first (a test reads its plan).</summary>
    internal NpgsqlCommand QueryCommand(TraceQuery query)
    {
        var after = TraceCursor.Decode(query.Cursor);
        var command = _db.CreateCommand();
        var sql = new StringBuilder($"{SelectRows} WHERE ");
        AppendFilters(sql, command, query);
        if (after is { } cursor)
        {
            sql.Append(" AND (timestamp_ticks, trace_id) < (@afterTicks, @afterId)");
            command.Parameters.AddWithValue("afterTicks", cursor.Ticks);
            command.Parameters.AddWithValue("afterId", cursor.Id);
        }

        sql.Append(" ORDER BY timestamp_ticks DESC, trace_id DESC LIMIT @limit");
        command.Parameters.AddWithValue("limit", query.Limit + 1);
        command.CommandText = sql.ToString();
        return command;
    }

    public async Task<long> CountAsync(TraceQuery query, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand();
        var sql = new StringBuilder("SELECT count(*) FROM trace_catalog c WHERE ");
        AppendFilters(sql, command, query);
        command.CommandText = sql.ToString();
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task PinAsync(string project, string holder, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand(
            "INSERT INTO trace_pins (project, trace_id, holder) SELECT @project, id, @holder FROM unnest(@ids) AS id ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue("project", project);
        command.Parameters.AddWithValue("holder", holder);
        command.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, traceIds.Distinct(StringComparer.Ordinal).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UnpinAsync(string project, string holder, IReadOnlyCollection<string>? traceIds = null, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand(traceIds is null
            ? "DELETE FROM trace_pins WHERE project = @project AND holder = @holder"
            : "DELETE FROM trace_pins WHERE project = @project AND holder = @holder AND trace_id = ANY(@ids)");
        command.Parameters.AddWithValue("project", project);
        command.Parameters.AddWithValue("holder", holder);
        if (traceIds is not null)
        {
            command.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, traceIds.ToArray());
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<TraceCatalogRow>> GetRowsAsync(
        string project, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand(
            $"{SelectRows} WHERE c.project = @project AND c.trace_id = ANY(@ids)");
        command.Parameters.AddWithValue("project", project);
        command.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, traceIds.ToArray());
        var rows = new List<TraceCatalogRow>(traceIds.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(ReadRow(reader));
        }

        return rows;
    }

    public async Task<long> CountPinsAsync(string project, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand("SELECT count(*) FROM trace_pins WHERE project = @project");
        command.Parameters.AddWithValue("project", project);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<string>> PinHoldersAsync(string project, string traceId, CancellationToken cancellationToken = default)
    {
        await using var command = _db.CreateCommand(
            "SELECT holder FROM trace_pins WHERE project = @project AND trace_id = @id ORDER BY holder COLLATE \"C\"");
        command.Parameters.AddWithValue("project", project);
        command.Parameters.AddWithValue("id", traceId);
        var holders = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            holders.Add(reader.GetString(0));
        }

        return holders;
    }

    /// <summary>The query's filters after <c>WHERE</c>, over <c>trace_catalog c</c>.</summary>
    private static void AppendFilters(StringBuilder sql, NpgsqlCommand command, TraceQuery query)
    {
        sql.Append("project = @project");
        command.Parameters.AddWithValue("project", query.Project);
        if (query.Name is { } name)
        {
            sql.Append(" AND name ILIKE @name ESCAPE '\\'");
            command.Parameters.AddWithValue("name", "%" + EscapeLike(name) + "%");
        }

        if (query.Status is { } status)
        {
            sql.Append(" AND status = @status");
            command.Parameters.AddWithValue("status", (short)status);
        }

        if (query.Replays is { } replays)
        {
            sql.Append(replays ? " AND replay_of_trace_id IS NOT NULL" : " AND replay_of_trace_id IS NULL");
        }

        if (query.Tags is { Count: > 0 } tags)
        {
            sql.Append(" AND tags @> @tags");
            command.Parameters.AddWithValue("tags", NpgsqlDbType.Array | NpgsqlDbType.Text, tags.ToArray());
        }

        if (query.StartDate is { } start)
        {
            sql.Append(" AND timestamp_ticks >= @start");
            command.Parameters.AddWithValue("start", start.UtcTicks);
        }

        if (query.EndDate is { } end)
        {
            sql.Append(" AND timestamp_ticks <= @end");
            command.Parameters.AddWithValue("end", end.UtcTicks);
        }

        if (query.Pinned is { } pinned)
        {
            sql.Append(pinned ? " AND " : " AND NOT ").Append(PinnedColumn);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_batchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _batchSize && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                await WriteBatchAsync(batch);
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception ex)
            {
                LogBatchFailed(_logger, ex, batch.Count);
                batch.ForEach(p => p.Done.TrySetException(ex));
            }

            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        // One statement cannot update the same row twice: the last version of each trace wins, as in queue order.
        var rows = new Dictionary<(string, string), TraceCatalogRow>();
        var evaluated = new HashSet<(string Project, string TraceId)>();
        foreach (var pending in batch)
        {
            if (pending.Row is { } row)
            {
                rows[(row.Project, row.Id)] = row;
            }

            if (pending.Evaluated is { } trace)
            {
                evaluated.Add(trace);
            }
        }

        // Upserts first, then marks: a trace's grain marks it only after its upserts with pending evaluations have
        // completed, and every later upsert of it carries EvaluationsPending = false. One round trip, one transaction.
        await using var statements = _db.CreateBatch();
        if (rows.Count > 0)
        {
            statements.BatchCommands.Add(UpsertCommand(rows.Values));
        }

        if (evaluated.Count > 0)
        {
            var marks = new NpgsqlBatchCommand(
                "UPDATE trace_catalog SET evaluations_pending = false, updated_at = now() " +
                "WHERE evaluations_pending AND (project, trace_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))");
            marks.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. evaluated.Select(e => e.Project)] });
            marks.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. evaluated.Select(e => e.TraceId)] });
            statements.BatchCommands.Add(marks);
        }

        await statements.ExecuteNonQueryAsync();
    }

    private static NpgsqlBatchCommand UpsertCommand(IEnumerable<TraceCatalogRow> rows)
    {
        var command = new NpgsqlBatchCommand();
        var sql = new StringBuilder($"INSERT INTO trace_catalog ({Columns}) VALUES ");
        var index = 0;
        foreach (var row in rows)
        {
            sql.Append(index == 0 ? "(" : ",(");
            for (var c = 1; c <= ColumnCount; c++)
            {
                sql.Append(c == 1 ? "$" : ",$").Append(index * ColumnCount + c);
            }

            sql.Append(')');
            AddRowParameters(command.Parameters, row);
            index++;
        }

        sql.Append("""
             ON CONFLICT (project, trace_id) DO UPDATE SET
                name = excluded.name, status = excluded.status, tags = excluded.tags, metadata_json = excluded.metadata_json,
                timestamp_ticks = excluded.timestamp_ticks, trace_time = excluded.trace_time, end_ticks = excluded.end_ticks,
                duration_ms = excluded.duration_ms, total_tokens = excluded.total_tokens, total_cost = excluded.total_cost,
                span_count = excluded.span_count, models = excluded.models, replay_of_trace_id = excluded.replay_of_trace_id,
                replay_of_replay_id = excluded.replay_of_replay_id, simulated = excluded.simulated,
                created_ticks = excluded.created_ticks, evaluations_pending = excluded.evaluations_pending, updated_at = now()
            """);
        command.CommandText = sql.ToString();
        return command;
    }

    private static void AddRowParameters(NpgsqlParameterCollection parameters, TraceCatalogRow row)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Project });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Id });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Name });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)row.Status });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. row.Tags] });
        parameters.Add(new NpgsqlParameter { Value = (object?)row.MetadataJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = row.Timestamp.UtcTicks });
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = row.Timestamp.UtcDateTime });
        parameters.Add(new NpgsqlParameter { Value = (object?)row.EndTime?.UtcTicks ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        parameters.Add(new NpgsqlParameter { Value = (object?)row.DurationMs ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        parameters.Add(new NpgsqlParameter { Value = (object?)row.TotalTokens ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        parameters.Add(new NpgsqlParameter { Value = (object?)row.TotalCost ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Numeric });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = row.SpanCount });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. row.Models] });
        parameters.Add(new NpgsqlParameter { Value = (object?)row.ReplayOf?.TraceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = (object?)row.ReplayOf?.ReplayId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<bool> { TypedValue = row.Simulated });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = row.CreatedAt.UtcTicks });
        parameters.Add(new NpgsqlParameter<bool> { TypedValue = row.EvaluationsPending });
    }

    private static TraceCatalogRow ReadRow(NpgsqlDataReader r)
    {
        var replayOf = r.IsDBNull(14) ? null : new TraceLineage(r.GetString(14), r.IsDBNull(15) ? "" : r.GetString(15));
        return new TraceCatalogRow(
            Id: r.GetString(1),
            Project: r.GetString(0),
            Name: r.GetString(2),
            Status: (SpanStatus)r.GetInt16(3),
            Tags: r.GetFieldValue<string[]>(4),
            MetadataJson: r.IsDBNull(5) ? null : r.GetString(5),
            Timestamp: new DateTimeOffset(r.GetInt64(6), TimeSpan.Zero),
            EndTime: r.IsDBNull(8) ? null : new DateTimeOffset(r.GetInt64(8), TimeSpan.Zero),
            DurationMs: r.IsDBNull(9) ? null : r.GetDouble(9),
            TotalTokens: r.IsDBNull(10) ? null : r.GetInt64(10),
            TotalCost: r.IsDBNull(11) ? null : r.GetDecimal(11),
            SpanCount: r.GetInt32(12),
            Models: r.GetFieldValue<string[]>(13),
            ReplayOf: replayOf,
            Simulated: r.GetBoolean(16),
            CreatedAt: new DateTimeOffset(r.GetInt64(17), TimeSpan.Zero),
            EvaluationsPending: r.GetBoolean(18),
            Pinned: r.GetBoolean(19));
    }

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    /// <summary>A queued write: a row to upsert, or a trace whose evaluations are done.</summary>
    private sealed record Pending(TraceCatalogRow? Row, (string Project, string TraceId)? Evaluated, TaskCompletionSource Done);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} catalog changes failed")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);
}
