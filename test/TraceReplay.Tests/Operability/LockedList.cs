using System.Collections.ObjectModel;

namespace TraceReplay.Tests.Operability;

/// <summary>A list that exporters may add to from any thread while a test takes snapshots of it.</summary>
public sealed class LockedList<T> : Collection<T>
{
    private readonly Lock _lock = new();

    public List<T> Snapshot()
    {
        lock (_lock)
        {
            return [.. Items];
        }
    }

    protected override void InsertItem(int index, T item)
    {
        lock (_lock)
        {
            base.InsertItem(index, item);
        }
    }

    protected override void ClearItems()
    {
        lock (_lock)
        {
            base.ClearItems();
        }
    }
}
