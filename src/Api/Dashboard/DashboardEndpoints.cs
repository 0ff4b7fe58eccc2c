using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;

namespace TraceReplay.Api.Dashboard;

/// <summary>
/// What the dashboard learns before sign-in. <see cref="ApiKey"/> is set only for a direct loopback request when
/// <see cref="ApiOptions.ExposeKeyToLocalDashboard"/> is on; otherwise it is null and the user types the key.
/// </summary>
public sealed record DashboardConfig(string? ApiKey);

/// <summary>The dashboard: static files from wwwroot (hash routing, so no fallback route) and its one unauthenticated endpoint.</summary>
public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard/config", GetConfig).WithName("GetDashboardConfig").WithTags("Dashboard")
            .WithSummary("Dashboard start-up settings: the local key (loopback only, when enabled)")
            .ExcludeFromDescription(); // the dashboard's own plumbing, not part of the public API
        return app;
    }

    public static Ok<DataEnvelope<DashboardConfig>> GetConfig(HttpContext context, IOptions<ApiOptions> options)
    {
        var key = options.Value.ExposeKeyToLocalDashboard && IsDirectLoopback(context.Request, context.Connection.RemoteIpAddress)
            ? options.Value.ApiKey
            : null;
        return TypedResults.Ok(new DataEnvelope<DashboardConfig>(new DashboardConfig(key)));
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
