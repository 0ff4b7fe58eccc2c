using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// One provider and model's cluster-wide rate (see <see cref="IProviderLimiterGrain"/>). The rate lives in memory: after
/// a restart it starts again from the initial rate and adapts within a few calls.
/// </summary>
public sealed class ProviderLimiterGrain(IOptions<LlmOptions> options, TimeProvider time) : Grain, IProviderLimiterGrain
{
    private readonly AdaptiveRate _rate = new(options.Value.Limiter, time);

    public Task<PermitGrant> AcquireAsync(PermitRequest request) => Task.FromResult(_rate.Acquire(request));
}

/// <summary>
/// The silo's side of the adaptive limiter: it takes permits from <see cref="IProviderLimiterGrain"/> in batches (about a
/// tenth of a second's worth), hands them out locally, and reports outcomes with its next request, so the limiter grain
/// sees a few calls a second per silo rather than one per LLM call. At most one request per key is in flight from a
/// silo: callers that find no permit all wait for the same refill instead of each asking (and polling) the limiter.
/// Waiting for a permit happens here, in the caller (a replay's or evaluation's timer), never inside a grain call.
/// </summary>
public sealed class ProviderRateGate(IGrainFactory grains, LlmProviderRegistry providers, IOptions<LlmOptions> options)
{
    private const int MaxBatch = 32;

    /// <summary>Permits older than this are dropped, so an idle silo cannot burst with stale ones.</summary>
    private static readonly TimeSpan PermitLifetime = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, Permits> _permits = new(StringComparer.Ordinal);

    /// <summary>The limiter key of a model (provider/model), or null when it is not limited (simulated, unknown, or limiting is off).</summary>
    public string? KeyFor(string model) =>
        options.Value.Limiter.Enabled && providers.Find(model) is { Simulated: false } route ? $"{route.ProviderName}/{model}" : null;

    /// <summary>Waits until a permit for <paramref name="key"/> is held.</summary>
    public async Task WaitAsync(string key, CancellationToken cancellationToken)
    {
        var permits = For(key);
        while (true)
        {
            Task refill;
            lock (permits)
            {
                if (permits.Count > 0 && TimeProvider.System.GetElapsedTime(permits.GrantedAt) < PermitLifetime)
                {
                    permits.Count--;
                    return;
                }

                if (permits.Refill is null)
                {
                    permits.Refill = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

                    // Off the caller's grain scheduler: the refill serves every waiter on the silo and must not stop
                    // with the activation that happened to start it.
                    _ = Task.Run(() => RefillAsync(permits), CancellationToken.None);
                }

                refill = permits.Refill.Task;
            }

            await refill.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Counts a call's outcome; a 429 is reported to the limiter at once, so every silo slows down together.</summary>
    public async Task ReportAsync(string key, LlmCallResult result)
    {
        var permits = For(key);
        PermitRequest? urgent = null;
        lock (permits)
        {
            permits.Succeeded += result.Succeeded ? 1 : 0;
            permits.Throttled += result.Throttled;
            if (permits.Throttled > 0)
            {
                urgent = new PermitRequest(0, permits.Succeeded, permits.Throttled);
                (permits.Succeeded, permits.Throttled) = (0, 0);
            }
        }

        if (urgent is not null)
        {
            await permits.Limiter.AcquireAsync(urgent);
        }
    }

    /// <summary>The one refill in flight for a key: asks the limiter until it grants permits, then wakes every waiter.</summary>
    private static async Task RefillAsync(Permits permits)
    {
        try
        {
            while (true)
            {
                PermitRequest request;
                lock (permits)
                {
                    request = new PermitRequest(permits.NextBatch, permits.Succeeded, permits.Throttled);
                    (permits.Succeeded, permits.Throttled) = (0, 0);
                }

                var grant = await permits.Limiter.AcquireAsync(request);
                lock (permits)
                {
                    permits.NextBatch = Math.Clamp((int)Math.Ceiling(grant.RatePerSecond / 10), 1, MaxBatch);
                    if (grant.Granted > 0)
                    {
                        (permits.Count, permits.GrantedAt) = (grant.Granted, TimeProvider.System.GetTimestamp());
                        var done = permits.Refill!;
                        permits.Refill = null;
                        done.SetResult();
                        return;
                    }
                }

                await Task.Delay(grant.RetryAfter > TimeSpan.Zero ? grant.RetryAfter : TimeSpan.FromMilliseconds(10));
            }
        }
        catch (Exception ex)
        {
            TaskCompletionSource failed;
            lock (permits)
            {
                failed = permits.Refill!;
                permits.Refill = null;
            }

            failed.SetException(ex);
        }
    }

    private Permits For(string key)
    {
        lock (_permits)
        {
            return _permits.TryGetValue(key, out var permits)
                ? permits
                : _permits[key] = new Permits(grains.GetGrain<IProviderLimiterGrain>(key));
        }
    }

    private sealed class Permits(IProviderLimiterGrain limiter)
    {
        public IProviderLimiterGrain Limiter { get; } = limiter;

        public TaskCompletionSource? Refill { get; set; }

        public int Count { get; set; }

        public long GrantedAt { get; set; }

        public int NextBatch { get; set; } = 1;

        public int Succeeded { get; set; }

        public int Throttled { get; set; }
    }
}
