namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// A sweep's entries with what the drive asks of them kept current as they change, so no step scans the whole list:
/// the counts per status, the in-flight window (by replay id), where the next queued entry is, the spend and the
/// budget ledger, and which fixed-size chunks of entries changed since they were last stored. Every change goes
/// through <see cref="Set"/>. Plain class, no grain: the sweep grain owns one per activation.
/// </summary>
public sealed class SweepWindow
{
    /// <summary>Entries per stored chunk: a checkpoint writes the chunks that changed, whatever the sweep's size.</summary>
    public const int ChunkSize = 1000;

    private readonly List<SweepEntry> _entries;
    private readonly int[] _counts = new int[Enum.GetValues<SweepTraceStatus>().Length];
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);
    private readonly HashSet<int> _dirtyChunks = [];

    // Entries before it are not queued. Only moves back when an entry is queued again.
    private int _nextQueued;

    // Reserved for replays being started that no entry carries yet (see TryReserve).
    private decimal _pending;

    public SweepWindow(IEnumerable<SweepEntry> entries)
    {
        _entries = [.. entries];
        for (var i = 0; i < _entries.Count; i++)
        {
            Add(i, _entries[i], +1);
        }
    }

    public int Count => _entries.Count;

    public SweepEntry this[int index] => _entries[index];

    public IReadOnlyList<SweepEntry> Entries => _entries;

    public SweepCounts Counts => new(_entries.Count, _counts[(int)SweepTraceStatus.Queued], _counts[(int)SweepTraceStatus.Running],
        _counts[(int)SweepTraceStatus.Completed], _counts[(int)SweepTraceStatus.Failed], _counts[(int)SweepTraceStatus.Skipped]);

    /// <summary>No entry is queued or running: nothing is left to start or to record.</summary>
    public bool IsDrained => _counts[(int)SweepTraceStatus.Queued] == 0 && _counts[(int)SweepTraceStatus.Running] == 0;

    public bool AllFailed => _entries.Count > 0 && _counts[(int)SweepTraceStatus.Failed] == _entries.Count;

    /// <summary>The real cost of the completed replays.</summary>
    public decimal Spend { get; private set; }

    /// <summary>
    /// What the budget must cover: completed replays at their real cost (settled), running ones — and failed ones, whose
    /// partial spend is not reported — at what was reserved for them, and the reservations of starts under way.
    /// </summary>
    public decimal Committed => Settled + _pending;

    private decimal Settled { get; set; }

    /// <summary>The replays in flight: replay id → entry index.</summary>
    public IReadOnlyDictionary<string, int> Running => _running;

    /// <summary>The chunks changed since <see cref="TakeDirtyChunks"/> last ran.</summary>
    public int DirtyChunkCount => _dirtyChunks.Count;

    public static int ChunkCount(int entries) => (entries + ChunkSize - 1) / ChunkSize;

    /// <summary>Replaces entry <paramref name="index"/>, keeping counts, window, ledger and dirty chunks current.</summary>
    public void Set(int index, SweepEntry entry)
    {
        Add(index, _entries[index], -1);
        _entries[index] = entry;
        Add(index, entry, +1);
        _dirtyChunks.Add(index / ChunkSize);
        if (entry.Status == SweepTraceStatus.Queued && index < _nextQueued)
        {
            _nextQueued = index;
        }
    }

    /// <summary>The first <paramref name="max"/> queued entries from the cursor on, which moves past them.</summary>
    public List<int> TakeQueued(int max)
    {
        var taken = new List<int>();
        while (taken.Count < max && _nextQueued < _entries.Count)
        {
            if (_entries[_nextQueued].Status == SweepTraceStatus.Queued)
            {
                taken.Add(_nextQueued);
            }

            _nextQueued++;
        }

        return taken;
    }

    /// <summary>An entry taken but not started stays queued: the next <see cref="TakeQueued"/> offers it again.</summary>
    public void Return(int index) => _nextQueued = Math.Min(_nextQueued, index);

    /// <summary>
    /// Sets <paramref name="amount"/> aside for a replay about to start if the ledger with it stays within
    /// <paramref name="budget"/>; false (nothing set aside) when it would pass it. The start then either moves its entry
    /// to running or failed carrying the reservation as EstimatedCost, or leaves it queued; either way
    /// <see cref="Release"/> hands the amount back, since from then on the entry carries it or nothing does.
    /// </summary>
    public bool TryReserve(decimal amount, decimal budget)
    {
        if (Committed + amount > budget)
        {
            return false;
        }

        _pending += amount;
        return true;
    }

    /// <summary>Ends a reservation made with <see cref="TryReserve"/> (see there).</summary>
    public void Release(decimal amount) => _pending -= amount;

    /// <summary>Marks every queued entry skipped; answers how many.</summary>
    public int SkipQueued()
    {
        var skipped = 0;
        for (var i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Status == SweepTraceStatus.Queued)
            {
                Set(i, _entries[i] with { Status = SweepTraceStatus.Skipped });
                skipped++;
            }
        }

        return skipped;
    }

    /// <summary>Queues every failed entry again (a new attempt, so a new replay id); answers how many.</summary>
    public int RequeueFailed()
    {
        var requeued = 0;
        for (var i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Status == SweepTraceStatus.Failed)
            {
                Set(i, _entries[i] with { Status = SweepTraceStatus.Queued, ReplayId = null, Error = null });
                requeued++;
            }
        }

        return requeued;
    }

    /// <summary>Marks every chunk changed (a new sweep, or one stored before chunks, is written whole once).</summary>
    public void MarkAllDirty()
    {
        for (var c = 0; c < ChunkCount(_entries.Count); c++)
        {
            _dirtyChunks.Add(c);
        }
    }

    /// <summary>The changed chunks, in order, each with its entries as of now; none is changed afterwards.</summary>
    public List<(int Chunk, List<SweepEntry> Entries)> TakeDirtyChunks()
    {
        var chunks = _dirtyChunks.Order().Select(c => (c, Chunk(c))).ToList();
        _dirtyChunks.Clear();
        return chunks;
    }

    /// <summary>Chunks whose write failed are written with the next checkpoint.</summary>
    public void MarkDirty(IEnumerable<int> chunks) => _dirtyChunks.UnionWith(chunks);

    public List<SweepEntry> Chunk(int chunk) =>
        _entries.GetRange(chunk * ChunkSize, Math.Min(ChunkSize, _entries.Count - chunk * ChunkSize));

    private void Add(int index, SweepEntry entry, int sign)
    {
        _counts[(int)entry.Status] += sign;
        if (entry.Status == SweepTraceStatus.Running && entry.ReplayId is { } replayId)
        {
            if (sign > 0)
            {
                _running[replayId] = index;
            }
            else
            {
                _running.Remove(replayId);
            }
        }

        if (entry.Status == SweepTraceStatus.Completed)
        {
            Spend += sign * (entry.Cost ?? 0m);
        }

        Settled += sign * entry.Status switch
        {
            SweepTraceStatus.Completed => entry.Cost ?? entry.EstimatedCost ?? 0m,
            SweepTraceStatus.Running => entry.EstimatedCost ?? 0m,
            SweepTraceStatus.Failed when entry.Attempts > 0 => entry.EstimatedCost ?? 0m,
            _ => 0m,
        };
    }
}
