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
/// an evaluator is saved and again on every connection. A connection resolves the host once, refuses when any address
/// is not public, and connects only to the addresses of that same answer, so a name that answers differently the
/// second time (DNS rebinding) cannot reach an internal address.
/// </summary>
/// <param name="resolve">Resolves a host name to its addresses; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> unless a test gives another.</param>
public sealed class WebhookUrlGuard(WebhookOptions options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

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
    /// The message never names the addresses a name resolved to. A host that does not resolve is refused only when
    /// <paramref name="refuseUnresolved"/> (at connection time); when an evaluator is saved it may be a name that
    /// resolves only later, and every call is checked anyway.
    /// </summary>
    public async Task<string?> CheckHostAsync(string host, CancellationToken cancellationToken, bool refuseUnresolved = true)
    {
        if (options.AllowPrivateNetworks)
        {
            return null;
        }

        var (_, refused) = await ResolveAsync(host, cancellationToken, refuseUnresolved);
        return refused;
    }

    /// <summary>
    /// The connection step of the webhook HttpClient: resolves the host once, refuses when any address is not allowed,
    /// and connects to the addresses of that same answer.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var (addresses, refused) = await ResolveAsync(context.DnsEndPoint.Host, cancellationToken, refuseUnresolved: true);
        if (refused is not null)
        {
            throw new HttpRequestException($"webhook call refused: {refused.Replace("config.url's ", "", StringComparison.Ordinal)}");
        }

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

    /// <summary>One resolution of <paramref name="host"/>, and why it is refused (null when its addresses may be connected to).</summary>
    private async Task<(IPAddress[] Addresses, string? Refused)> ResolveAsync(string host, CancellationToken cancellationToken, bool refuseUnresolved)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await _resolve(host, cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !refuseUnresolved))
        {
            return ([], refuseUnresolved ? $"config.url's host '{host}' could not be resolved." : null);
        }

        if (addresses.Length == 0)
        {
            return ([], refuseUnresolved ? $"config.url's host '{host}' has no address." : null);
        }

        return options.AllowPrivateNetworks || addresses.All(IsPublic)
            ? (addresses, null)
            : ([], $"config.url's host '{host}' is not a public address.");
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
            if (EmbeddedIPv4(bytes) is { } embedded)
            {
                return embedded.All(IsPublic);
            }

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

    /// <summary>
    /// The IPv4 addresses an IPv6 transition address carries, judged in their place: NAT64 (64:ff9b::/96 and the
    /// local-use 64:ff9b:1::/48, address in the last 32 bits), 6to4 (2002::/16, bits 16–48), Teredo (2001::/32: the
    /// server in bits 32–64 and the client, inverted, in the last 32 bits), IPv4-translated (::ffff:0:0:0/96) and
    /// IPv4-compatible (::/96). Null for any other IPv6 address.
    /// </summary>
    private static IPAddress[]? EmbeddedIPv4(byte[] b)
    {
        static IPAddress At(byte[] bytes, int offset, bool inverted = false) => new(inverted
            ? [(byte)~bytes[offset], (byte)~bytes[offset + 1], (byte)~bytes[offset + 2], (byte)~bytes[offset + 3]]
            : bytes.AsSpan(offset, 4).ToArray());

        static bool Zero(byte[] bytes, int from, int to) => bytes.AsSpan(from, to - from).IndexOfAnyExcept((byte)0) < 0;

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && (Zero(b, 4, 12) || (b[4] == 0 && b[5] == 1)))
        {
            return [At(b, 12)];
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return [At(b, 2)];
        }

        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            return [At(b, 4), At(b, 12, inverted: true)];
        }

        if (Zero(b, 0, 8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0)
        {
            return [At(b, 12)];
        }

        return Zero(b, 0, 12) && !Zero(b, 12, 16) ? [At(b, 12)] : null;
    }
}
