using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using TraceReplay.Grains;

namespace TraceReplay.Api.Infrastructure;

/// <summary>An authenticated key: its project and id.</summary>
public sealed record AuthenticatedKey(string Project, string KeyId);

/// <summary>
/// Resolves a presented API key to its project. The configured key (TRACEREPLAY_API_KEY) is the default project's and
/// needs no lookup; other <c>ts_</c> keys are looked up by SHA-256 hash in <see cref="IProjectRegistryGrain"/>, and the
/// answer (valid, revoked or unknown) is cached for <see cref="ApiOptions.KeyCacheDuration"/>: revocation takes effect
/// within that time, and a key's last-used time is accurate to it.
/// </summary>
public sealed class ApiKeyStore(IOptions<ApiOptions> options, IClusterClient grains, TimeProvider time)
{
    /// <summary>The key id of the configured default-project key.</summary>
    public const string ConfiguredKeyId = "configured";

    public const string KeyPrefix = "ts_";

    /// <summary>Cache entries kept at most; past it the cache starts over, so random keys cannot grow it without bound.</summary>
    private const int MaxCachedKeys = 10_000;

    private readonly byte[] _configured = Encoding.UTF8.GetBytes(options.Value.ApiKey ?? throw new InvalidOperationException("No API key configured."));
    private readonly ConcurrentDictionary<string, (AuthenticatedKey? Key, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    /// <param name="cachedOnly">Answer from what is known already, asking the cluster nothing (for a caller over its failure budget).</param>
    public async ValueTask<AuthenticatedKey?> AuthenticateAsync(string presented, bool cachedOnly = false)
    {
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _configured))
        {
            return new AuthenticatedKey(TraceReplayNames.DefaultProject, ConfiguredKeyId);
        }

        if (!presented.StartsWith(KeyPrefix, StringComparison.Ordinal) || presented.Length > 200)
        {
            return null;
        }

        var hash = Hash(presented);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && cached.Expires > now)
        {
            return cached.Key;
        }

        if (cachedOnly)
        {
            return null;
        }

        var info = await grains.GetGrain<IProjectRegistryGrain>(TraceReplayNames.ProjectRegistry).AuthenticateAsync(hash, now);
        var key = info is null ? null : new AuthenticatedKey(info.ProjectId, info.Id);
        if (_cache.Count >= MaxCachedKeys)
        {
            _cache.Clear();
        }

        _cache[hash] = (key, now + options.Value.KeyCacheDuration);
        return key;
    }

    /// <summary>A new random key (<c>ts_</c> and 48 hex digits).</summary>
    public static string NewKey() => ApiOptions.GenerateKey();

    /// <summary>The SHA-256 of a key, hex: all that is stored of it.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
