namespace TraceReplay.Api.Infrastructure;

/// <summary>The per-key request rate (section <c>TraceReplay:RateLimit</c>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "TraceReplay:RateLimit";

    /// <summary>Requests one API key may make per second, over a sliding one-second window; more get 429. Default 1000.</summary>
    public int RequestsPerSecond { get; set; } = 1000;

    /// <summary>
    /// Requests without a valid key (missing, unknown or wrong admin key) one client address may make per
    /// <see cref="UnauthenticatedWindow"/>; past it the address gets 429 with Retry-After, before any key is looked up.
    /// Default 100.
    /// </summary>
    public int UnauthenticatedRequests { get; set; } = 100;

    /// <summary>The window of <see cref="UnauthenticatedRequests"/>. Default 10 s.</summary>
    public TimeSpan UnauthenticatedWindow { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Size and concurrency limits of the API (section <c>TraceReplay:Limits</c>). Spans per trace is <c>TraceReplay:MaxSpansPerTrace</c>.</summary>
public sealed class LimitOptions
{
    public const string Section = "TraceReplay:Limits";

    /// <summary>Most events in one ingestion batch; more is refused (413). Default 1000.</summary>
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>Replays started through the API that may run at once per project; more get 429 LIMIT_EXCEEDED. Default 1000.</summary>
    public int MaxReplaysInFlightPerProject { get; set; } = 1000;

    /// <summary>Sweeps that may be pending or running at once per project; more get 429 LIMIT_EXCEEDED. Default 20.</summary>
    public int MaxSweepsPerProject { get; set; } = 20;

    /// <summary>Evaluator backfills that may be pending or running at once per project; more get 429 LIMIT_EXCEEDED. Default 5.</summary>
    public int MaxBackfillsPerProject { get; set; } = 5;
}
