using System.Security.Cryptography;

namespace TraceReplay.Api.Infrastructure;

/// <summary>The HTTP front end (section <c>TraceReplay:Api</c>).</summary>
public sealed class ApiOptions
{
    public const string Section = "TraceReplay:Api";

    /// <summary>
    /// The default project's API key. Taken from TRACEREPLAY_API_KEY when set; otherwise a random key is generated
    /// at start-up and printed once to the console, never logged.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The admin key that manages projects and their keys (<c>/api/v1/projects</c>). Taken from TRACEREPLAY_ADMIN_KEY
    /// when set; without one the admin endpoints answer 401. It is not a project key.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>
    /// How long the API trusts what it learned about a project key (valid, revoked, unknown) before asking the cluster
    /// again; a revoked key stops working within this time. Default 10 s.
    /// </summary>
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest accepted request body. Default 10 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Load the demo traces and templates at start-up. Default true.</summary>
    public bool SeedDemoData { get; set; } = true;

    /// <summary>
    /// Let the dashboard pre-fill <see cref="ApiKey"/> for a browser on this machine: <c>GET /dashboard/config</c>
    /// returns the key only to a loopback peer, with no forwarding header, whose Host is localhost, 127.0.0.1 or [::1]
    /// with the port it connected to, and whose Origin (if sent) is that same origin. Null (default): on while the API
    /// listens on loopback addresses only, off as soon as it listens on any other. Set false on any shared or proxied
    /// deployment.
    /// </summary>
    public bool? ExposeKeyToLocalDashboard { get; set; }

    /// <summary>Where <see cref="ApiKey"/> came from, for the start-up banner; set at start-up, never configured.</summary>
    public string ApiKeySource { get; set; } = "configuration";

    public static string GenerateKey() => "ts_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
