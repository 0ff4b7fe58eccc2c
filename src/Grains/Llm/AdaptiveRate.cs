namespace TraceReplay.Grains.Llm;

/// <summary>The adaptive limiter (section <c>TraceReplay:Llm:Limiter</c>): one rate per provider and model, across the cluster.</summary>
public sealed class LlmLimiterOptions
{
    /// <summary>Limit real providers' request rate at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The rate a provider and model start at, in requests per second. Default 20.</summary>
    public double InitialRatePerSecond { get; set; } = 20;

    /// <summary>The lowest rate a run of 429s can push it to. Default 0.5.</summary>
    public double MinRatePerSecond { get; set; } = 0.5;

    /// <summary>
    /// The highest rate successes can raise it to. Default 10,000 — far above hosted providers' request limits, so what
    /// holds a provider back is its own 429s, not this cap (self-hosted, OpenAI-compatible servers have no such limits).
    /// </summary>
    public double MaxRatePerSecond { get; set; } = 10_000;

    /// <summary>How much each successful call raises the rate (requests per second). Default 0.5.</summary>
    public double IncreasePerSuccess { get; set; } = 0.5;

    /// <summary>What a 429 multiplies the rate by; at most once per <see cref="DecreaseInterval"/>. Default 0.5.</summary>
    public double DecreaseFactor { get; set; } = 0.5;

    /// <summary>Throttles reported within this time of a decrease count as the same event. Default 1 s.</summary>
    public TimeSpan DecreaseInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Additive-increase / multiplicative-decrease rate with a token bucket of one second's worth of permits. Plain and
/// clock-driven, so it can be tested without a cluster; <see cref="ProviderLimiterGrain"/> holds one.
/// </summary>
public sealed class AdaptiveRate(LlmLimiterOptions options, TimeProvider time)
{
    private double _tokens = 1;
    private long _refilledAt = time.GetTimestamp();
    private long? _decreasedAt;

    public double RatePerSecond { get; private set; } = Math.Clamp(options.InitialRatePerSecond, options.MinRatePerSecond, options.MaxRatePerSecond);

    public PermitGrant Acquire(PermitRequest request)
    {
        Report(request.Succeeded, request.Throttled);
        Refill();
        var granted = Math.Min(Math.Max(0, request.Wanted), (int)Math.Floor(_tokens));
        _tokens -= granted;
        var retryAfter = granted > 0 || request.Wanted <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _tokens) / RatePerSecond);
        return new PermitGrant(granted, retryAfter, RatePerSecond);
    }

    private void Report(int succeeded, int throttled)
    {
        var now = time.GetTimestamp();
        if (throttled > 0)
        {
            if (_decreasedAt is not { } last || time.GetElapsedTime(last, now) >= options.DecreaseInterval)
            {
                RatePerSecond = Math.Max(options.MinRatePerSecond, RatePerSecond * options.DecreaseFactor);
                _tokens = Math.Min(_tokens, RatePerSecond);
                _decreasedAt = now;
            }

            return;
        }

        RatePerSecond = Math.Min(options.MaxRatePerSecond, RatePerSecond + (succeeded * options.IncreasePerSuccess));
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        var elapsed = time.GetElapsedTime(_refilledAt, now).TotalSeconds;
        _refilledAt = now;
        _tokens = Math.Min(Math.Max(1, RatePerSecond), _tokens + (elapsed * RatePerSecond));
    }
}
