namespace TraceReplay.Grains.Llm;

/// <summary>
/// The LLM pool's slots, shared fairly between projects. A free slot goes to a caller at once only when nobody waits;
/// otherwise each freed slot goes to the waiting project with the fewest slots in use (ties: the one that has waited
/// longest for its turn), and within a project to its callers in order. So a project with one call never waits behind
/// more than one call of each other project, however many calls another project has queued.
/// </summary>
public sealed class FairSlots(int capacity)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Queue<Waiter>> _waiting = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _turns = new();
    private readonly Dictionary<string, int> _inUse = new(StringComparer.Ordinal);
    private readonly int _capacity = capacity;
    private int _free = capacity;

    /// <summary>Slots held right now.</summary>
    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _capacity - _free;
            }
        }
    }

    /// <summary>Waits for a slot for <paramref name="project"/>; dispose the answer to give the slot back.</summary>
    public async Task<IDisposable> WaitAsync(string project, CancellationToken cancellationToken = default)
    {
        Waiter waiter;
        lock (_lock)
        {
            if (_free > 0 && _turns.Count == 0)
            {
                _free--;
                Take(project);
                return new Slot(this, project);
            }

            waiter = new Waiter(project);
            if (!_waiting.TryGetValue(project, out var queue))
            {
                _waiting[project] = queue = new Queue<Waiter>();
                _turns.AddLast(project);
            }

            queue.Enqueue(waiter);
        }

        await using (cancellationToken.Register(() => waiter.Granted.TrySetCanceled(cancellationToken)))
        {
            // A waiter cancelled before its grant stays queued and is skipped when its turn comes.
            await waiter.Granted.Task.ConfigureAwait(false);
        }

        return new Slot(this, project);
    }

    private void Take(string project) => _inUse[project] = _inUse.GetValueOrDefault(project) + 1;

    /// <summary>Returns a slot of <paramref name="project"/> and hands it to the next waiter in turn. Called under the lock.</summary>
    private void GiveBack(string project)
    {
        if (_inUse.GetValueOrDefault(project) <= 1)
        {
            _inUse.Remove(project);
        }
        else
        {
            _inUse[project]--;
        }

        while (_turns.Count > 0)
        {
            var next = _turns.First!;
            for (var node = next.Next; node is not null; node = node.Next)
            {
                if (_inUse.GetValueOrDefault(node.Value) < _inUse.GetValueOrDefault(next.Value))
                {
                    next = node;
                }
            }

            var queue = _waiting[next.Value];
            var waiter = queue.Dequeue();
            _turns.Remove(next);
            if (queue.Count == 0)
            {
                _waiting.Remove(next.Value);
            }
            else
            {
                _turns.AddLast(next.Value);
            }

            if (waiter.Granted.TrySetResult())
            {
                Take(waiter.Project);
                return;
            }
        }

        _free++;
    }

    private sealed class Waiter(string project)
    {
        public string Project => project;

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Slot(FairSlots owner, string project) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (owner._lock)
                {
                    owner.GiveBack(project);
                }
            }
        }
    }
}
