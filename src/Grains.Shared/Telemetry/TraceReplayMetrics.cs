using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TraceReplay.Grains.Telemetry;

/// <summary>
/// Every metric of the service, on one Meter named <c>TraceReplay</c>. Each method is the one line that the place it
/// measures calls; the instrument names are listed in README.md (Operability). The Meter is static, like Orleans' own,
/// so grains need no extra constructor parameter; exporters subscribe to it by name.
/// </summary>
public static class TraceReplayMetrics
{
    public const string MeterName = "TraceReplay";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> ReplaysStartedCounter = Meter.CreateCounter<long>(
        "tracereplay.replays.started", "{replay}", "Replays started, by model.");

    private static readonly Counter<long> ReplaysCompletedCounter = Meter.CreateCounter<long>(
        "tracereplay.replays.completed", "{replay}", "Replays completed, by model.");

    private static readonly Counter<long> ReplaysFailedCounter = Meter.CreateCounter<long>(
        "tracereplay.replays.failed", "{replay}", "Replays failed, by model and error code.");

    private static readonly Histogram<double> ReplayDuration = Meter.CreateHistogram<double>(
        "tracereplay.replay.duration", "s", "From a replay's creation to its completion or failure.");

    private static readonly Histogram<double> LlmCallDuration = Meter.CreateHistogram<double>(
        "tracereplay.llm.call.duration", "s", "Latency of an LLM call's last attempt, by provider, model and outcome.");

    private static readonly Counter<long> LlmTokens = Meter.CreateCounter<long>(
        "tracereplay.llm.tokens", "{token}", "Tokens used by LLM calls, by provider, model and type (input or output).");

    private static readonly Counter<long> LlmRateLimited = Meter.CreateCounter<long>(
        "tracereplay.llm.rate_limited", "{response}", "429 answers from LLM providers, retried or not.");

    private static readonly Counter<long> LlmRetries = Meter.CreateCounter<long>(
        "tracereplay.llm.retries", "{retry}", "LLM call attempts after the first.");

    private static readonly Histogram<double> PoolWait = Meter.CreateHistogram<double>(
        "tracereplay.llm.pool.wait", "s", "Time an LLM call waited for a slot in its silo's pool.");

    private static readonly UpDownCounter<long> SweepsInFlight = Meter.CreateUpDownCounter<long>(
        "tracereplay.sweeps.in_flight", "{sweep}", "Sweeps started and not yet finished.");

    private static readonly Histogram<double> EvaluationLag = Meter.CreateHistogram<double>(
        "tracereplay.evaluation.lag", "s", "From a trace's creation to its last pending score.");

    private static readonly Counter<long> OtlpLogRecords = Meter.CreateCounter<long>(
        "tracereplay.otlp.log_records", "{record}", "OTLP log records received, by outcome: attached (GenAI events), ignored (other logs), rejected.");

    private static readonly Counter<long> IngestedSpans = Meter.CreateCounter<long>(
        "tracereplay.ingest.spans", "{span}", "Spans ingested (REST batches and OTLP); its rate is spans per second.");

    private static readonly ConcurrentDictionary<string, Func<(int InUse, int Capacity)>> Pools = new(StringComparer.Ordinal);

    static TraceReplayMetrics()
    {
        Meter.CreateObservableGauge("tracereplay.llm.pool.in_use", () => ObservePools(p => p.InUse), "{call}",
            "LLM calls holding a pool slot, per silo.");
        Meter.CreateObservableGauge("tracereplay.llm.pool.capacity", () => ObservePools(p => p.Capacity), "{call}",
            "Pool slots per silo; in_use / capacity is the pool's saturation.");
    }

    public static void ReplayStarted(string model) => ReplaysStartedCounter.Add(1, new KeyValuePair<string, object?>("model", model));

    public static void ReplayCompleted(string model, TimeSpan duration)
    {
        ReplaysCompletedCounter.Add(1, new KeyValuePair<string, object?>("model", model));
        ReplayDuration.Record(duration.TotalSeconds, new("model", model), new("status", "completed"));
    }

    public static void ReplayFailed(string model, string code, TimeSpan duration)
    {
        ReplaysFailedCounter.Add(1, new KeyValuePair<string, object?>("model", model), new("code", code));
        ReplayDuration.Record(duration.TotalSeconds, new("model", model), new("status", "failed"));
    }

    /// <summary>One finished LLM call: its latency, tokens, retries and 429s.</summary>
    public static void LlmCall(string provider, string model, LlmCallResult result, int rateLimited)
    {
        var tags = new TagList { { "provider", provider }, { "model", model } };
        var outcome = tags;
        outcome.Add("outcome", result.Succeeded ? "success" : "error");
        LlmCallDuration.Record(result.LatencyMs / 1000, outcome);
        var input = tags;
        input.Add("type", "input");
        LlmTokens.Add(result.PromptTokens, input);
        var output = tags;
        output.Add("type", "output");
        LlmTokens.Add(result.CompletionTokens, output);
        if (result.Attempts > 1)
        {
            LlmRetries.Add(result.Attempts - 1, tags);
        }

        if (rateLimited > 0)
        {
            LlmRateLimited.Add(rateLimited, tags);
        }
    }

    public static void PoolWaited(TimeSpan wait) => PoolWait.Record(wait.TotalSeconds);

    /// <summary>Makes a pool's slots observable as <c>tracereplay.llm.pool.in_use</c> / <c>capacity</c>, tagged by silo.</summary>
    public static void ObservePool(string silo, Func<(int InUse, int Capacity)> observe) => Pools[silo] = observe;

    /// <summary>For the sweeps API: call when a sweep starts, and <see cref="SweepFinished"/> once when it ends.</summary>
    public static void SweepStarted() => SweepsInFlight.Add(1);

    public static void SweepFinished() => SweepsInFlight.Add(-1);

    public static void Evaluated(TimeSpan lag) => EvaluationLag.Record(Math.Max(0, lag.TotalSeconds));

    public static void SpansIngested(int count) => IngestedSpans.Add(count);

    public static void LogRecordsReceived(int attached, int ignored, int rejected)
    {
        foreach (var (outcome, count) in new[] { ("attached", attached), ("ignored", ignored), ("rejected", rejected) })
        {
            if (count > 0)
            {
                OtlpLogRecords.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
            }
        }
    }

    private static IEnumerable<Measurement<int>> ObservePools(Func<(int InUse, int Capacity), int> pick) =>
        Pools.Select(p => new Measurement<int>(pick(p.Value()), new KeyValuePair<string, object?>("silo", p.Key)));
}
