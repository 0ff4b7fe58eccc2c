using System.ClientModel.Primitives;
using System.Diagnostics;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// A per-call pipeline policy placed after the retry policy, so it runs once per attempt: it counts the attempts
/// and times the last one (sending the request and reading the whole response), which is the successful one when
/// the call succeeds.
/// </summary>
internal sealed class AttemptTimer : PipelinePolicy
{
    private int _attempts;
    private int _rateLimited;
    private long _lastAttemptTicks;

    public int Attempts => Volatile.Read(ref _attempts);

    public TimeSpan LastAttempt => TimeSpan.FromTicks(Volatile.Read(ref _lastAttemptTicks));

    /// <summary>Attempts the provider answered with 429 Too Many Requests (metrics and the adaptive limiter).</summary>
    public int RateLimited => Volatile.Read(ref _rateLimited);

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        var started = Begin();
        try
        {
            ProcessNext(message, pipeline, currentIndex);
        }
        finally
        {
            End(started, message);
        }
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        var started = Begin();
        try
        {
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        }
        finally
        {
            End(started, message);
        }
    }

    /// <summary>Starts timing one attempt (for clients that are not System.ClientModel pipelines).</summary>
    internal long Begin()
    {
        Interlocked.Increment(ref _attempts);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Ends the attempt begun at <paramref name="started"/>, which the provider answered with <paramref name="status"/>.</summary>
    internal void End(long started, int? status)
    {
        Volatile.Write(ref _lastAttemptTicks, Stopwatch.GetElapsedTime(started).Ticks);
        if (status == 429)
        {
            Interlocked.Increment(ref _rateLimited);
        }
    }

    private void End(long started, PipelineMessage message) => End(started, message.Response?.Status);
}
