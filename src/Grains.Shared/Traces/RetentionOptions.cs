namespace TraceReplay.Grains.Traces;

/// <summary>What the retention purge keeps (section <c>TraceReplay:Retention</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "TraceReplay:Retention";

    /// <summary>
    /// Most pins a project may hold (one per trace and holder: a pin by hand, a sweep's source or replay trace, a
    /// baseline's trace); a pin or sweep that would pass it is refused (409). Default 500 000: room for a sweep of the
    /// most traces one may take (100 000) with a baseline of the same size, each side pinning its sources and replays.
    /// </summary>
    public int MaxPinnedTraces { get; set; } = 500_000;
}
