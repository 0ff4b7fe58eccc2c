using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TraceReplay.Grains.Telemetry;

namespace TraceReplay.Silo.Telemetry;

/// <summary>
/// Logs the key figures of the TraceReplay meter as one line every interval, for the all-in-one default where no
/// exporter is configured: replays, LLM calls and tokens, 429s, pool use and ingested spans since start.
/// </summary>
/// <param name="gate">When given, the first period starts only once it opens (the host's start-up output is done).</param>
public sealed partial class TelemetryConsoleSummary(TimeSpan interval, ILogger<TelemetryConsoleSummary> logger, IConsoleSummaryGate? gate = null) : BackgroundService
{
    private readonly ConcurrentDictionary<string, double> _totals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, double> _gauges = new(StringComparer.Ordinal);
    private MeterListener? _listener;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TraceReplayMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Add(instrument, value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Add(instrument, value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Add(instrument, value));
        _listener.Start();
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (gate is not null)
        {
            await gate.Opened.WaitAsync(stoppingToken);
        }

        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            _gauges.Clear();
            _listener?.RecordObservableInstruments();
            LogSummary(logger, Total("tracereplay.replays.started"), Total("tracereplay.replays.completed"),
                Total("tracereplay.replays.failed"), Total("tracereplay.llm.call.duration"), Total("tracereplay.llm.tokens"),
                Total("tracereplay.llm.rate_limited"), Gauge("tracereplay.llm.pool.in_use"), Gauge("tracereplay.llm.pool.capacity"),
                Total("tracereplay.ingest.spans"));
        }
    }

    private void Add(Instrument instrument, double value)
    {
        if (instrument is ObservableGauge<int>)
        {
            _gauges.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
        }
        else
        {
            // Counters add up their values; histograms (here the LLM call latency) count their recordings.
            var amount = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal) ? 1 : value;
            _totals.AddOrUpdate(instrument.Name, amount, (_, sum) => sum + amount);
        }
    }

    private string Total(string name) => _totals.GetValueOrDefault(name).ToString("0", CultureInfo.InvariantCulture);

    private string Gauge(string name) => _gauges.GetValueOrDefault(name).ToString("0", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Since start: replays {Started} started, {Completed} completed, {Failed} failed; " +
        "LLM calls {Calls}, tokens {Tokens}, 429s {RateLimited}; pool {InUse}/{Capacity} in use; spans ingested {Spans}")]
    private static partial void LogSummary(ILogger logger, string started, string completed, string failed, string calls,
        string tokens, string rateLimited, string inUse, string capacity, string spans);
}

/// <summary>
/// Holds <see cref="TelemetryConsoleSummary"/> back while a host is still printing its start-up output, so what it
/// prints last (the all-in-one API's URL and key) stays the last thing on the console until a full period later.
/// </summary>
public interface IConsoleSummaryGate
{
    /// <summary>Completes when the start-up output is done.</summary>
    Task Opened { get; }
}
