using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;

namespace TraceReplay.Api.Dashboard;

/// <summary>
/// What the dashboard learns before sign-in. <see cref="ApiKey"/> is set only for a browser on this machine (see
/// <c>IsLocalBrowser</c>) when <see cref="ApiOptions.ExposeKeyToLocalDashboard"/> is on; otherwise it is null and the
/// user types the key.
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

    public static Ok<DataEnvelope<DashboardConfig>> GetConfig(HttpContext context, IOptions<ApiOptions> options, IServer server)
    {
        var expose = options.Value.ExposeKeyToLocalDashboard
            ?? ListensOnLoopbackOnly(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
        var key = expose && IsLocalBrowser(context.Request, context.Connection.RemoteIpAddress, context.Connection.LocalPort)
            ? options.Value.ApiKey
            : null;
        return TypedResults.Ok(new DataEnvelope<DashboardConfig>(new DashboardConfig(key)));
    }

    /// <summary>
    /// A browser on this machine talking to this server directly: a loopback peer, no proxy header, a Host of
    /// localhost, 127.0.0.1 or [::1] with the port it connected to (a rebinding name such as evil.example, or a proxy,
    /// sends another), and an Origin, if any, equal to that same origin.
    /// </summary>
    internal static bool IsLocalBrowser(HttpRequest request, IPAddress? remote, int localPort)
    {
        if (remote is null || !IPAddress.IsLoopback(remote) || request.Headers.Keys.Any(IsProxyHeader))
        {
            return false;
        }

        var host = request.Host;
        var port = host.Port ?? (request.IsHttps ? 443 : 80);
        if (!LoopbackHosts.Contains(host.Host) || port != localPort)
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0
            || string.Equals(origin, $"{request.Scheme}://{host.Value}", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether every address the server listens on is a loopback one (an unknown list counts as loopback: no socket, no remote browser).</summary>
    internal static bool ListensOnLoopbackOnly(IEnumerable<string> addresses) =>
        addresses.All(address => Uri.TryCreate(address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal),
                UriKind.Absolute, out var uri)
            && (LoopbackHosts.Contains(uri.Host) || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));

    private static readonly HashSet<string> LoopbackHosts = new(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]" };

    private static readonly HashSet<string> ProxyHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Forwarded", "Via", "X-Real-IP", "X-Client-IP", "X-Cluster-Client-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP",
    };

    private static bool IsProxyHeader(string name) =>
        ProxyHeaders.Contains(name)
        || name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("X-Original-", StringComparison.OrdinalIgnoreCase);
}
