using Microsoft.Extensions.Configuration;

namespace TraceReplay.Silo.Telemetry;

/// <summary>
/// The service's own telemetry (section <c>TraceReplay:Telemetry</c>). Every exporter is off unless configured; the
/// standard <c>OTEL_EXPORTER_OTLP_*</c> and <c>OTEL_SERVICE_NAME</c> variables are honoured as well.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "TraceReplay:Telemetry";

    /// <summary>The standard variable naming the OTLP collector; the OTLP exporter is on when it (or <see cref="Otlp"/>) is set.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>An OTLP endpoint for traces, metrics and logs, when OTEL_EXPORTER_OTLP_ENDPOINT is not used. Default none.</summary>
    public string? Otlp { get; set; }

    /// <summary>Serve a Prometheus scrape endpoint at <c>/metrics</c> on the API. Default false.</summary>
    public bool Prometheus { get; set; }

    /// <summary>Record traces without OTLP, for an exporter added in code (tests use the in-memory one). Default false.</summary>
    public bool Tracing { get; set; }

    /// <summary>Collect metrics without OTLP or Prometheus, for an exporter added in code. Default false.</summary>
    public bool Metrics { get; set; }

    /// <summary>
    /// How often a one-line summary of the key figures is logged; zero turns it off. Default: 30 seconds in the
    /// all-in-one API, off elsewhere.
    /// </summary>
    public TimeSpan? ConsoleSummaryInterval { get; set; }

    /// <summary>The OTLP endpoint in force: <see cref="Otlp"/>, else OTEL_EXPORTER_OTLP_ENDPOINT; null when OTLP is off.</summary>
    public string? OtlpEndpoint(IConfiguration configuration) =>
        Otlp is { Length: > 0 } own ? own
        : configuration[OtlpEndpointVariable] is { Length: > 0 } standard ? standard
        : null;

    public static TelemetryOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
}
