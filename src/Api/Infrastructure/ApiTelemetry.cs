using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TraceReplay.Silo.Telemetry;

namespace TraceReplay.Api.Infrastructure;

/// <summary>The API's telemetry: the shared set (see <see cref="TelemetryHostingExtensions"/>) plus ASP.NET Core and Prometheus.</summary>
public static class ApiTelemetry
{
    public const string PrometheusPath = "/metrics";

    /// <summary>The all-in-one default logs its key figures this often unless configured otherwise.</summary>
    public static readonly TimeSpan AllInOneConsoleSummary = TimeSpan.FromSeconds(30);

    public static WebApplicationBuilder AddTraceReplayApiTelemetry(this WebApplicationBuilder builder)
    {
        var prometheus = TelemetryOptions.From(builder.Configuration).Prometheus;
        builder.AddTraceReplayTelemetry(
            "tracereplay-api",
            ApiClusterHosting.Role(builder.Configuration) == ApiRole.AllInOne ? AllInOneConsoleSummary : null,
            tracing: t => t.AddAspNetCoreInstrumentation(o => o.Filter = context => !IsOperational(context.Request.Path)),
            metrics: m =>
            {
                m.AddAspNetCoreInstrumentation();
                if (prometheus)
                {
                    m.AddPrometheusExporter();
                }
            });
        return builder;
    }

    public static WebApplication MapTraceReplayMetrics(this WebApplication app)
    {
        if (TelemetryOptions.From(app.Configuration).Prometheus)
        {
            app.MapPrometheusScrapingEndpoint(PrometheusPath).ExcludeFromDescription();
        }

        return app;
    }

    /// <summary>Health probes and scrapes are not traced: they would drown the requests that matter.</summary>
    private static bool IsOperational(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments(PrometheusPath);
}
