using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;

namespace TraceReplay.Api.Dashboard;

/// <summary>Which optional API areas this host serves, so the dashboard can hide what is not there.</summary>
public sealed record DashboardFeatures(bool Comparison, bool Evaluators, bool Sweeps);

/// <summary>
/// What the dashboard learns before sign-in. <see cref="ApiKey"/> is set only for a direct loopback request when
/// <see cref="ApiOptions.ExposeKeyToLocalDashboard"/> is on; otherwise it is null and the user types the key.
/// </summary>
public sealed record DashboardConfig(string? ApiKey, DashboardFeatures Features);

/// <summary>The dashboard: static files from wwwroot (hash routing, so no fallback route) and its one unauthenticated endpoint.</summary>
public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard/config", GetConfig).WithName("GetDashboardConfig").WithTags("Dashboard")
            .WithSummary("Dashboard start-up settings: the local key (loopback only, when enabled) and the API areas served");
        return app;
    }

    public static Ok<DataEnvelope<DashboardConfig>> GetConfig(HttpContext context, IOptions<ApiOptions> options, EndpointDataSource endpoints)
    {
        var key = options.Value.ExposeKeyToLocalDashboard && IsDirectLoopback(context.Request, context.Connection.RemoteIpAddress)
            ? options.Value.ApiKey
            : null;
        var routes = endpoints.Endpoints.OfType<RouteEndpoint>().Select(e => e.RoutePattern.RawText ?? "").ToList();
        var features = new DashboardFeatures(
            Comparison: routes.Any(r => r.Contains("/comparison", StringComparison.Ordinal) || r.Contains("/compare/", StringComparison.Ordinal)),
            Evaluators: routes.Any(r => r.StartsWith("/api/v1/evaluators", StringComparison.Ordinal)),
            Sweeps: routes.Any(r => r.StartsWith("/api/v1/sweeps", StringComparison.Ordinal)));
        return TypedResults.Ok(new DataEnvelope<DashboardConfig>(new DashboardConfig(key, features)));
    }

    /// <summary>
    /// A loopback peer that carries no forwarding header. A reverse proxy on the same machine connects from loopback
    /// too, and it usually adds X-Forwarded-For; without one, turn ExposeKeyToLocalDashboard off behind any proxy.
    /// </summary>
    internal static bool IsDirectLoopback(HttpRequest request, IPAddress? remote) =>
        remote is not null
        && IPAddress.IsLoopback(remote)
        && !request.Headers.ContainsKey("X-Forwarded-For")
        && !request.Headers.ContainsKey("Forwarded")
        && !request.Headers.ContainsKey("X-Real-IP");
}
