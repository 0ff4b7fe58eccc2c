using System.Net;
using System.Net.Sockets;

namespace TraceReplay.Grains.Evaluation;

/// <summary>Where WEBHOOK evaluators may call (section <c>TraceReplay:Webhooks</c>): the defence against server-side request forgery.</summary>
public sealed class WebhookOptions
{
    public const string Section = "TraceReplay:Webhooks";

    /// <summary>
    /// Allow loopback, link-local, private and other non-public addresses, and plain http. Default false: webhooks
    /// must reach public addresses only. Turn on for a self-hosted scorer on the same network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Require https (unless <see cref="AllowPrivateNetworks"/>). Null (default): required in the Production environment only.</summary>
    public bool? RequireHttps { get; set; }
}

/// <summary>
/// Decides whether a webhook URL may be called: its scheme, and every address its host resolves to. It is checked when
/// an evaluator is saved and again on every connection (the resolved address is the one connected to), so a DNS
/// answer that changes later still cannot reach an internal address.
/// </summary>
public sealed class WebhookUrlGuard(WebhookOptions options)
{
    /// <summary>Null when the URL's scheme and host are acceptable without resolving it; else why not.</summary>
    public string? CheckUrl(Uri url)
    {
        if (url.Scheme is not ("http" or "https"))
        {
            return "config.url must be an absolute http or https URL.";
        }

        if (options.AllowPrivateNetworks)
        {
            return null;
        }

        if (url.Scheme == "http" && options.RequireHttps != false)
        {
            return "config.url must use https (plain http is allowed only with TraceReplay:Webhooks:AllowPrivateNetworks=true).";
        }

        if (url.IsLoopback || url.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return $"config.url must not point at this machine ({url.Host}).";
        }

        return IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal) && !IsPublic(literal)
            ? $"config.url must not point at a loopback, link-local or private address ({literal})."
            : null;
    }

    /// <summary>
    /// Null when every address <paramref name="host"/> resolves to is public (or private ones are allowed); else why not.
    /// A host that does not resolve is refused only when <paramref name="refuseUnresolved"/> (at connection time); when
    /// an evaluator is saved it may be a name that resolves only later, and every call is checked anyway.
    /// </summary>
    public async Task<string?> CheckHostAsync(string host, CancellationToken cancellationToken, bool refuseUnresolved = true)
    {
        if (options.AllowPrivateNetworks)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !refuseUnresolved))
        {
            return refuseUnresolved ? $"config.url's host '{host}' could not be resolved." : null;
        }

        return addresses.FirstOrDefault(a => !IsPublic(a)) is { } blocked
            ? $"config.url's host '{host}' resolves to {blocked}, a loopback, link-local or private address."
            : addresses.Length == 0 && refuseUnresolved ? $"config.url's host '{host}' has no address." : null;
    }

    /// <summary>
    /// The connection step of the webhook HttpClient: resolves the host, refuses when any address is not allowed, and
    /// connects to the checked addresses themselves.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        if (await CheckHostAsync(host, cancellationToken) is { } refused)
        {
            throw new HttpRequestException($"webhook call refused: {refused.Replace("config.url's ", "", StringComparison.Ordinal)}");
        }

        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>False for loopback, link-local, private (RFC 1918, unique-local), carrier-grade NAT, multicast, unspecified and similar ranges.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (bytes[0] & 0xFE) == 0xFC // fc00::/7 unique local
                || (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8)); // 2001:db8::/32 documentation
        }

        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 or 10 or 127 => false,
            100 when b[1] is >= 64 and <= 127 => false, // 100.64.0.0/10 carrier-grade NAT
            169 when b[1] == 254 => false, // link-local, cloud metadata
            172 when b[1] is >= 16 and <= 31 => false,
            192 when b[1] == 168 => false,
            192 when b[1] == 0 && b[2] is 0 or 2 => false,
            198 when b[1] is 18 or 19 => false, // benchmarking
            >= 224 => false, // multicast and reserved
            _ => true,
        };
    }
}
