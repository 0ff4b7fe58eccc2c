namespace TraceReplay.Grains;

/// <summary>Service-wide behaviour (section <c>TraceReplay</c>).</summary>
public sealed class TraceReplayOptions
{
    public const string Section = "TraceReplay";

    /// <summary>Traces older than this many days can no longer be replayed (410). 0 keeps them forever. Default 30.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often the retention job purges expired traces. Default 1 hour.</summary>
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most spans one trace may hold, across all its batches; more is refused (413). Default 10 000.</summary>
    public int MaxSpansPerTrace { get; set; } = 10_000;
}
