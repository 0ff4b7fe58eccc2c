using Microsoft.AspNetCore.Diagnostics;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// Answers what the API cannot serve yet, or for now, with 503 <c>SERVICE_UNAVAILABLE</c> and <c>Retry-After</c>, and
/// logs it as one warning, not as an unhandled exception.
/// </summary>
/// <remarks>
/// In the Client role the web server listens while the cluster client is still looking for a gateway
/// (<c>ServicesStartConcurrently</c>), so a request could reach a grain before the client knows the cluster's grain
/// types (an <see cref="ArgumentException"/>), or read the catalog before any silo created its tables. Until the host
/// has started (every hosted service, the cluster client's connection among them), only the health probes are served.
/// </remarks>
public static partial class StartupGate
{
    public const string StartingMessage = "TraceReplay is starting: the cluster is not reachable yet; retry shortly.";

    public static WebApplicationBuilder AddTraceReplayStartupGate(this WebApplicationBuilder builder)
    {
        builder.Services.AddExceptionHandler<UnavailableHandler>();
        return builder;
    }

    /// <summary>Every request but <c>/health/*</c> is answered 503 until <see cref="IHostApplicationLifetime.ApplicationStarted"/>.</summary>
    public static WebApplication UseTraceReplayStartupGate(this WebApplication app)
    {
        var started = app.Lifetime.ApplicationStarted;
        app.Use((context, next) =>
            started.IsCancellationRequested || context.Request.Path.StartsWithSegments(HealthEndpoints.PathPrefix)
                ? next(context)
                : ApiErrors.WriteUnavailableAsync(context, ApiErrors.Starting()));
        return app;
    }

    /// <summary>The database or the cluster out of reach (<see cref="ApiErrors.Unavailable"/>): 503, one warning line.</summary>
    public sealed partial class UnavailableHandler(ILogger<UnavailableHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (ApiErrors.Unavailable(exception) is not { } unavailable)
            {
                return false;
            }

            // The type only: a driver's message could carry a host name or user, never worth a log line.
            LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name);
            await ApiErrors.WriteUnavailableAsync(httpContext, unavailable);
            return true;
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the database or the cluster is out of reach ({Exception}).")]
        private static partial void LogUnavailable(ILogger logger, string method, string path, string exception);
    }
}
