using Orleans.Storage;

namespace TraceReplay.Grains.Sweeps;

/// <summary>One stored chunk of a sweep's entries (<see cref="SweepWindow.ChunkSize"/> of them, the last one fewer).</summary>
[GenerateSerializer, Alias("TraceReplay.SweepChunk")]
public sealed class SweepChunk
{
    [Id(0)] public List<SweepEntry> Entries { get; set; } = [];
}

/// <summary>
/// Stores a sweep's entries in chunks, each its own record in the sweeps storage (a row in PostgreSQL) under the id
/// <c>sweepchunk/{sweepId}/{n}</c>, so a checkpoint writes only the chunks that changed. Kept by the sweep grain's
/// activation; the ETags it holds make a write from a stale activation fail instead of overwriting.
/// </summary>
public sealed class SweepChunkStore(IGrainStorage storage, string sweepId)
{
    private const string StateName = "sweep-chunk";
    private static readonly GrainType ChunkType = GrainType.Create("sweepchunk");

    private readonly Dictionary<int, GrainState<SweepChunk>> _chunks = [];

    /// <summary>Reads chunks 0 to <paramref name="count"/> − 1, in order.</summary>
    public async Task<List<SweepEntry>> ReadAsync(int count)
    {
        var entries = new List<SweepEntry>(count * SweepWindow.ChunkSize);
        for (var c = 0; c < count; c++)
        {
            var chunk = Held(c);
            await storage.ReadStateAsync(StateName, IdOf(c), chunk);
            entries.AddRange(chunk.State?.Entries ?? []);
        }

        return entries;
    }

    /// <summary>
    /// Writes the given chunks, a few at a time. Answers the chunks that could not be stored, with the first error, so
    /// the caller writes them again with the next checkpoint.
    /// </summary>
    public async Task<(List<int> Failed, Exception? Error)> WriteAsync(IReadOnlyList<(int Chunk, List<SweepEntry> Entries)> chunks)
    {
        var failed = new List<int>();
        Exception? error = null;
        foreach (var batch in chunks.Chunk(4))
        {
            await Task.WhenAll(batch.Select(async c =>
            {
                try
                {
                    var chunk = Held(c.Chunk);
                    chunk.State = new SweepChunk { Entries = c.Entries };
                    await storage.WriteStateAsync(StateName, IdOf(c.Chunk), chunk);
                }
                catch (Exception ex)
                {
                    failed.Add(c.Chunk);
                    error ??= ex;
                }
            }));
        }

        return (failed, error);
    }

    /// <summary>Deletes chunks 0 to <paramref name="count"/> − 1.</summary>
    public async Task ClearAsync(int count)
    {
        for (var c = 0; c < count; c++)
        {
            var chunk = Held(c);
            if (chunk.ETag is null)
            {
                await storage.ReadStateAsync(StateName, IdOf(c), chunk);
            }

            await storage.ClearStateAsync(StateName, IdOf(c), chunk);
            _chunks.Remove(c);
        }
    }

    private GrainState<SweepChunk> Held(int chunk)
    {
        if (!_chunks.TryGetValue(chunk, out var held))
        {
            held = new GrainState<SweepChunk>(new SweepChunk());
            _chunks[chunk] = held;
        }

        return held;
    }

    private GrainId IdOf(int chunk) => GrainId.Create(ChunkType, IdSpan.Create($"{sweepId}/{chunk}"));
}
