namespace TraceReplay.Grains.Ingestion;

/// <summary>The journal of the all-in-one mode: one process, and nothing survives it, as with its in-memory storage.</summary>
public sealed class InMemoryIngestJournal(TimeProvider time) : IIngestJournal
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (IngestBatch Batch, DateTimeOffset At)> _batches = new(StringComparer.Ordinal);

    public Task AppendAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _batches[batch.Id] = (batch, time.GetUtcNow());
        }

        return Task.CompletedTask;
    }

    public Task DiscardAsync(string batchId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _batches.Remove(batchId);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<IngestBatch>> OlderThanAsync(TimeSpan age, int limit, CancellationToken cancellationToken = default)
    {
        var before = time.GetUtcNow() - age;
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<IngestBatch>>(
                [.. _batches.Values.Where(b => b.At <= before).OrderBy(b => b.At).Take(limit).Select(b => b.Batch)]);
        }
    }
}
