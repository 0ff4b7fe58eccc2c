namespace TraceReplay.Grains;

/// <summary>
/// A sweep's targets and entries cross the wire in pages of <see cref="Size"/>, so no grain message grows with the
/// sweep's size (a sweep may hold 100,000 traces).
/// </summary>
public static class SweepPages
{
    /// <summary>Targets or entries per message.</summary>
    public const int Size = 1000;

    /// <summary>Stages the definition's targets page by page, then starts the sweep with them.</summary>
    public static async Task<SweepSnapshot> StartInPagesAsync(this ISweepGrain sweep, SweepDefinition definition)
    {
        var targets = definition.Targets;
        for (var offset = 0; offset < targets.Count; offset += Size)
        {
            await sweep.StageTargetsAsync(offset, [.. targets.Skip(offset).Take(Size)]);
        }

        return await sweep.StartAsync(definition with { Targets = [], StagedTargets = targets.Count });
    }

    /// <summary>Every entry of the sweep, read page by page; null for an unknown sweep.</summary>
    public static async Task<IReadOnlyList<SweepEntry>?> GetEntriesAsync(this ISweepGrain sweep)
    {
        if (await sweep.GetEntriesAsync(0, Size) is not { } first)
        {
            return null;
        }

        var entries = new List<SweepEntry>(first.Total);
        entries.AddRange(first.Entries);
        while (entries.Count < first.Total)
        {
            var page = await sweep.GetEntriesAsync(entries.Count, Size);
            if (page is null || page.Entries.Count == 0)
            {
                break;
            }

            entries.AddRange(page.Entries);
        }

        return entries;
    }
}
