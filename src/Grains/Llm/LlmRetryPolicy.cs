using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Http;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Retries 408, 429, 5xx, connection errors and attempt timeouts. The delay honours retry-after-ms and Retry-After
/// (seconds or an HTTP date), else exponential backoff with full jitter; every delay is capped at
/// <see cref="LlmRetryOptions.MaxDelay"/> and retrying stops once the delays together would pass
/// <see cref="LlmRetryOptions.MaxTotalDelay"/>.
/// </summary>
internal sealed class LlmRetryPolicy : ClientRetryPolicy
{
    private readonly LlmRetryOptions _options;
    private readonly TimeProvider _timeProvider;

    public LlmRetryPolicy(LlmRetryOptions options, TimeProvider? timeProvider = null)
        : base(Math.Max(0, options.MaxRetries))
    {
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    protected override bool ShouldRetry(PipelineMessage message, Exception? exception)
    {
        // PipelineMessage.RetryCount is internal to System.ClientModel, so the retries are counted here.
        var budget = RetryBudget.Of(message);
        if (budget.Retries >= _options.MaxRetries || message.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        if (!IsTransient(message, exception))
        {
            return false;
        }

        // A provider that let one attempt run out of time will likely do it again: one more try, not the full budget.
        if (IsAttemptTimeout(message, exception) && budget.TimeoutRetries++ >= 1)
        {
            return false;
        }

        // The decision and the delay are made together, so the total-delay budget is checked before retrying.
        var delay = NextDelay(exception is null ? message.Response : null, budget.Retries);
        if (budget.Spent + delay > _options.MaxTotalDelay)
        {
            return false;
        }

        budget.Retries++;
        budget.Spent += delay;
        budget.Next = delay;
        return true;
    }

    protected override ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        ValueTask.FromResult(ShouldRetry(message, exception));

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount) => RetryBudget.Of(message).Next;

    internal TimeSpan NextDelay(PipelineResponse? response, int retryCount)
    {
        var delay = ServerRequestedDelay(response) ?? Backoff(retryCount);
        return delay > _options.MaxDelay ? _options.MaxDelay : delay;
    }

    private static bool IsAttemptTimeout(PipelineMessage message, Exception? exception) =>
        exception is TimeoutException || (exception is OperationCanceledException && !message.CancellationToken.IsCancellationRequested);

    private static bool IsTransient(PipelineMessage message, Exception? exception)
    {
        if (exception is not null)
        {
            return exception switch
            {
                // The transport reports a failed connection as a ClientResultException without a response.
                ClientResultException clientError => clientError.Status == 0 || IsTransientStatus(clientError.Status),
                HttpRequestException or IOException or TimeoutException => true,
                // An OperationCanceledException the caller did not ask for is the attempt timeout.
                OperationCanceledException => !message.CancellationToken.IsCancellationRequested,
                _ => false,
            };
        }

        return message.Response is { } response && IsTransientStatus(response.Status);
    }


    /// <summary>The delay before retry <paramref name="retryCount"/> + 1, from a response's retry-after-ms / Retry-After values.</summary>
    internal TimeSpan NextDelay(string? retryAfterMs, string? retryAfter, int retryCount)
    {
        var delay = ServerRequestedDelay(retryAfterMs, retryAfter) ?? Backoff(retryCount);
        return delay > _options.MaxDelay ? _options.MaxDelay : delay;
    }

    internal static bool IsTransientStatus(int status) => status is 408 or 429 or >= 500 and < 600;

    private TimeSpan? ServerRequestedDelay(PipelineResponse? response)
    {
        if (response is null)
        {
            return null;
        }

        response.Headers.TryGetValue("retry-after-ms", out var milliseconds);
        response.Headers.TryGetValue("Retry-After", out var retryAfter);
        return ServerRequestedDelay(milliseconds, retryAfter);
    }

    private TimeSpan? ServerRequestedDelay(string? milliseconds, string? retryAfter)
    {
        if (double.TryParse(milliseconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (retryAfter is not null)
        {
            if (double.TryParse(retryAfter, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParse(retryAfter, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                var wait = date - _timeProvider.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return null;
    }

    private TimeSpan Backoff(int retryCount)
    {
        // Full jitter: a uniform delay between zero and BaseDelay·2^n (capped), so that many callers spread out.
        var exponent = Math.Min(retryCount, 30);
        var ceiling = Math.Min(_options.BaseDelay.TotalMilliseconds * Math.Pow(2, exponent), _options.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Math.Max(0, ceiling));
    }

    /// <summary>The delays of one call so far, kept on the pipeline message across its attempts.</summary>
    private sealed class RetryBudget
    {
        public int Retries { get; set; }

        public int TimeoutRetries { get; set; }

        public TimeSpan Spent { get; set; }

        public TimeSpan Next { get; set; }

        public static RetryBudget Of(PipelineMessage message)
        {
            if (message.TryGetProperty(typeof(RetryBudget), out var existing) && existing is RetryBudget budget)
            {
                return budget;
            }

            budget = new RetryBudget();
            message.SetProperty(typeof(RetryBudget), budget);
            return budget;
        }
    }
}
