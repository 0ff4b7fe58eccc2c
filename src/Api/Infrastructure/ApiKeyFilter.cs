using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// Requires <c>Authorization: Bearer &lt;project key&gt;</c> on every API endpoint, fills the request's
/// <see cref="ProjectContext"/>, and applies the per-key rate limit (429 RATE_LIMIT_EXCEEDED with Retry-After).
/// </summary>
public sealed class ApiKeyFilter(ApiKeyStore keys, KeyRateLimiter limiter, UnauthenticatedRateLimiter unauthenticated) : IEndpointFilter
{
    /// <summary>Where a user finds the key: what every 401 for a missing or wrong project key says.</summary>
    public const string WhereTheKeyComesFrom =
        "The server's key is TRACEREPLAY_API_KEY, or, when that is not set, the key it generated and printed at start-up; " +
        "project keys come from the admin API. In the dashboard, sign in at /#/login.";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // An address over its budget of failures is still served with a key already known to be valid; anything
        // else it sends is refused without a lookup.
        var refused = unauthenticated.Refuse(context.HttpContext);
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return refused ?? unauthenticated.Failed(context.HttpContext) ?? ApiErrors.Unauthorized("Missing API key: send 'Authorization: Bearer <key>'. " + WhereTheKeyComesFrom);
        }

        if (await keys.AuthenticateAsync(header["Bearer ".Length..].Trim(), cachedOnly: refused is not null) is not { } key)
        {
            return refused ?? unauthenticated.Failed(context.HttpContext) ?? ApiErrors.Unauthorized("Invalid API key. " + WhereTheKeyComesFrom);
        }

        if (limiter.TryAcquire(key.KeyId) is { } retryAfter)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return ApiErrors.RateLimited($"Rate limit of {limiter.RequestsPerSecond} requests per second for this API key exceeded; retry after {seconds} s.");
        }

        ProjectContext.For(context.HttpContext).Set(key.Project, key.KeyId);
        return await next(context);
    }
}

/// <summary>A sliding one-second window per API key (<see cref="RateLimitOptions"/>).</summary>
public sealed class KeyRateLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(keyId =>
        RateLimitPartition.GetSlidingWindowLimiter(keyId, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.RequestsPerSecond),
            Window = TimeSpan.FromSeconds(1),
            SegmentsPerWindow = 10,
            QueueLimit = 0,
        }));

    public int RequestsPerSecond => options.Value.RequestsPerSecond;

    /// <summary>Null when the request may go ahead; otherwise how long to wait.</summary>
    public TimeSpan? TryAcquire(string keyId)
    {
        using var lease = _limiter.AttemptAcquire(keyId);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public void Dispose() => _limiter.Dispose();
}

/// <summary>Requires <c>Authorization: Bearer &lt;admin key&gt;</c> (TRACEREPLAY_ADMIN_KEY) on the project administration endpoints.</summary>
public sealed class AdminKeyFilter(IOptions<ApiOptions> options, UnauthenticatedRateLimiter unauthenticated) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (options.Value.AdminKey is not { Length: > 0 } admin)
        {
            return ApiErrors.Unauthorized("Project administration is disabled: set TRACEREPLAY_ADMIN_KEY on the server.");
        }

        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || !Matches(header["Bearer ".Length..].Trim(), admin))
        {
            return unauthenticated.Refuse(context.HttpContext) ?? unauthenticated.Failed(context.HttpContext)
                ?? ApiErrors.Unauthorized("This endpoint needs the admin key: send 'Authorization: Bearer <admin key>'.");
        }

        return await next(context);
    }

    /// <summary>Whether <paramref name="presented"/> is the admin key, compared in constant time.</summary>
    internal static bool Matches(string presented, string admin) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(admin));
}

/// <summary>
/// Requests that fail authentication, counted per client address over a sliding window (<see cref="RateLimitOptions"/>).
/// An address past its budget gets 429 with Retry-After before its key is even looked up, so a flood of bad keys costs
/// the cluster nothing and cannot slow authenticated traffic. The address is the connection's peer; forwarding headers
/// are not trusted.
/// </summary>
public sealed class UnauthenticatedRateLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.UnauthenticatedRequests),
            Window = options.Value.UnauthenticatedWindow > TimeSpan.Zero ? options.Value.UnauthenticatedWindow : TimeSpan.FromSeconds(10),
            SegmentsPerWindow = 10,
            QueueLimit = 0,
        }));

    /// <summary>A 429 when the caller's address has used up its budget of failed requests; else null.</summary>
    public JsonHttpResult<ApiErrorBody>? Refuse(HttpContext context) =>
        _limiter.GetStatistics(Address(context)) is { CurrentAvailablePermits: <= 0 } ? TooMany(context, options.Value.UnauthenticatedWindow) : null;

    /// <summary>Counts a failed authentication; a 429 instead of the 401 when it was one too many.</summary>
    public JsonHttpResult<ApiErrorBody>? Failed(HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire(Address(context));
        if (lease.IsAcquired)
        {
            return null;
        }

        return TooMany(context, lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : options.Value.UnauthenticatedWindow);
    }

    public void Dispose() => _limiter.Dispose();

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static JsonHttpResult<ApiErrorBody> TooMany(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiErrors.RateLimited($"Too many requests without a valid key from this address; retry after {seconds} s.");
    }
}
