using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TraceReplay.Grains.Telemetry;

namespace TraceReplay.Silo.Telemetry;

/// <summary>
/// The service's own OpenTelemetry: its spans (TraceReplay, Orleans grain calls, outgoing HTTP such as LLM calls,
/// Npgsql commands) and metrics (the TraceReplay meter, Orleans, HTTP client, Npgsql). Both the standalone silo and
/// the API call it; the API adds its ASP.NET Core instrumentation and the Prometheus endpoint.
/// </summary>
public static class TelemetryHostingExtensions
{
    /// <summary>Orleans' grain-call spans, created by <c>AddActivityPropagation</c> on silos and clients.</summary>
    public static readonly string[] OrleansActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <summary>Npgsql's built-in ActivitySource and Meter.</summary>
    public const string NpgsqlSource = "Npgsql";

    public static IHostApplicationBuilder AddTraceReplayTelemetry(
        this IHostApplicationBuilder builder,
        string serviceName,
        TimeSpan? defaultConsoleSummary = null,
        Action<TracerProviderBuilder>? tracing = null,
        Action<MeterProviderBuilder>? metrics = null)
    {
        // Orleans places grains through a Polly pipeline whose telemetry logs every attempt at Information: a line per
        // grain activation. Failed attempts still log (Warning and above).
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        var configuration = builder.Configuration;
        var options = TelemetryOptions.From(configuration);
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => o.ConsoleSummaryInterval is not { } interval || interval >= TimeSpan.Zero,
                $"{TelemetryOptions.Section}:ConsoleSummaryInterval must not be negative.")
            .ValidateOnStart();

        var summary = options.ConsoleSummaryInterval ?? defaultConsoleSummary ?? TimeSpan.Zero;
        if (summary > TimeSpan.Zero)
        {
            builder.Services.AddHostedService(sp => new TelemetryConsoleSummary(
                summary, sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<TelemetryConsoleSummary>>(), sp.GetService<IConsoleSummaryGate>()));
        }

        var otlp = options.OtlpEndpoint(configuration);
        var traced = otlp is not null || options.Tracing;
        var measured = otlp is not null || options.Prometheus || options.Metrics;
        if (!traced && !measured)
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : serviceName));
        if (traced)
        {
            telemetry.WithTracing(t =>
            {
                t.AddSource(TraceReplayActivity.SourceName, NpgsqlSource).AddSource(OrleansActivitySources).AddHttpClientInstrumentation();
                tracing?.Invoke(t);
            });
        }

        if (measured)
        {
            telemetry.WithMetrics(m =>
            {
                m.AddMeter(TraceReplayMetrics.MeterName, "Microsoft.Orleans", NpgsqlSource).AddHttpClientInstrumentation();
                metrics?.Invoke(m);
            });
        }

        if (otlp is not null)
        {
            // Protocol, headers and timeouts come from the standard OTEL_EXPORTER_OTLP_* variables.
            var protocol = string.Equals(configuration["OTEL_EXPORTER_OTLP_PROTOCOL"], "http/protobuf", StringComparison.OrdinalIgnoreCase)
                ? OtlpExportProtocol.HttpProtobuf
                : OtlpExportProtocol.Grpc;
            telemetry.UseOtlpExporter(protocol, new Uri(otlp));
        }

        return builder;
    }
}
