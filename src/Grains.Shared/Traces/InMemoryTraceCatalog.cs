using System.Text;

namespace TraceReplay.Grains.Traces;

/// <summary>The catalog of the all-in-one mode: one silo, so one process-wide index.</summary>
public sealed class InMemoryTraceCatalog : ITraceCatalog
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TraceCatalogRow> _rows = new(StringComparer.Ordinal);

    // Project/trace key → holders.
    private readonly Dictionary<string, SortedSet<string>> _pins = new(StringComparer.Ordinal);

    /// <summary>Oldest first, then project and id: the keyset order of <see cref="PendingEvaluationsAsync"/>.</summary>
    private static readonly Comparer<PendingEvaluation> Order = Comparer<PendingEvaluation>.Create((a, b) =>
        a.CreatedAt.UtcTicks != b.CreatedAt.UtcTicks ? a.CreatedAt.UtcTicks.CompareTo(b.CreatedAt.UtcTicks)
        : string.CompareOrdinal(a.Project, b.Project) is var byProject and not 0 ? byProject
        : string.CompareOrdinal(a.TraceId, b.TraceId));

    public Task UpsertAsync(TraceCatalogRow row, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _rows[row.Project + "/" + row.Id] = row;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<TraceCatalogRow>> GetRowsAsync(
        string project, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<TraceCatalogRow> rows = [.. traceIds.Select(id => _rows.GetValueOrDefault(project + "/" + id)).OfType<TraceCatalogRow>()];
            return Task.FromResult(rows);
        }
    }

    public Task DeleteAsync(string project, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var id in traceIds)
            {
                _rows.Remove(project + "/" + id);
            }
        }

        return Task.CompletedTask;
    }

    public Task MarkEvaluatedAsync(string project, string traceId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_rows.TryGetValue(project + "/" + traceId, out var row))
            {
                _rows[project + "/" + traceId] = row with { EvaluationsPending = false };
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PendingEvaluation>> PendingEvaluationsAsync(
        DateTimeOffset createdBefore, int limit, PendingEvaluation? after = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<PendingEvaluation> page = [.. _rows.Values
                .Where(r => r.EvaluationsPending && r.CreatedAt < createdBefore)
                .Select(r => new PendingEvaluation(r.Project, r.Id, r.CreatedAt))
                .Where(p => after is null || Order.Compare(p, after) > 0)
                .Order(Order)
                .Take(limit)];
            return Task.FromResult(page);
        }
    }

    public Task<TracePage> QueryAsync(TraceQuery query, CancellationToken cancellationToken = default)
    {
        var after = TraceCursor.Decode(query.Cursor);
        List<TraceCatalogRow> matches;
        lock (_lock)
        {
            matches = [.. Matching(query)
                .Where(r => after is null || TraceCursor.IsAfter(r, after.Value))
                .OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id, StringComparer.Ordinal)
                .Take(query.Limit + 1)
                .Select(r => r with { Pinned = IsPinned(r.Project, r.Id) })];
        }

        var page = matches.Take(query.Limit).ToList();
        var next = matches.Count > query.Limit ? TraceCursor.Encode(page[^1]) : null;
        return Task.FromResult(new TracePage(page, next));
    }

    public Task<long> CountAsync(TraceQuery query, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult((long)Matching(query).Count());
        }
    }

    public Task PinAsync(string project, string holder, IReadOnlyCollection<string> traceIds, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var id in traceIds)
            {
                var key = project + "/" + id;
                if (!_pins.TryGetValue(key, out var holders))
                {
                    _pins[key] = holders = new SortedSet<string>(StringComparer.Ordinal);
                }

                holders.Add(holder);
            }
        }

        return Task.CompletedTask;
    }

    public Task UnpinAsync(string project, string holder, IReadOnlyCollection<string>? traceIds = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var keys = traceIds?.Select(id => project + "/" + id).ToList()
                ?? [.. _pins.Keys.Where(k => k.StartsWith(project + "/", StringComparison.Ordinal))];
            foreach (var key in keys)
            {
                if (_pins.TryGetValue(key, out var holders) && holders.Remove(holder) && holders.Count == 0)
                {
                    _pins.Remove(key);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<long> CountPinsAsync(string project, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult((long)_pins.Where(p => p.Key.StartsWith(project + "/", StringComparison.Ordinal)).Sum(p => p.Value.Count));
        }
    }

    public Task<IReadOnlyList<string>> PinHoldersAsync(string project, string traceId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<string> holders = _pins.TryGetValue(project + "/" + traceId, out var set) ? [.. set] : [];
            return Task.FromResult(holders);
        }
    }

    // Callers hold _lock.
    private IEnumerable<TraceCatalogRow> Matching(TraceQuery query) => _rows.Values
        .Where(r => r.Project == query.Project)
        .Where(r => query.Name is null || r.Name.Contains(query.Name, StringComparison.OrdinalIgnoreCase))
        .Where(r => query.Status is null || r.Status == query.Status)
        .Where(r => query.Replays is null || (r.ReplayOf is not null) == query.Replays)
        .Where(r => query.Tags is null || query.Tags.All(t => r.Tags.Contains(t, StringComparer.Ordinal)))
        .Where(r => query.StartDate is null || r.Timestamp >= query.StartDate)
        .Where(r => query.EndDate is null || r.Timestamp <= query.EndDate)
        .Where(r => query.Pinned is null || IsPinned(r.Project, r.Id) == query.Pinned);

    private bool IsPinned(string project, string traceId) => _pins.ContainsKey(project + "/" + traceId);
}

/// <summary>Opaque keyset cursor: the (timestamp, id) of the last row of a page.</summary>
public static class TraceCursor
{
    public static string Encode(TraceCatalogRow row) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{row.Timestamp.UtcTicks}|{row.Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The decoded position, or null for no cursor. Throws FormatException for a cursor we did not make.</summary>
    public static (long Ticks, string Id)? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        var bar = text.IndexOf('|');
        if (bar <= 0 || !long.TryParse(text.AsSpan(0, bar), out var ticks))
        {
            throw new FormatException("The cursor is not one this service issued.");
        }

        return (ticks, text[(bar + 1)..]);
    }

    public static bool IsAfter(TraceCatalogRow row, (long Ticks, string Id) cursor) =>
        row.Timestamp.UtcTicks < cursor.Ticks
        || (row.Timestamp.UtcTicks == cursor.Ticks && string.CompareOrdinal(row.Id, cursor.Id) < 0);
}
