using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace TraceReplay.Api.Infrastructure;

/// <summary>Requires <c>Authorization: Bearer &lt;project key&gt;</c> on every API endpoint.</summary>
public sealed class ApiKeyFilter(IOptions<ApiOptions> options) : IEndpointFilter
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.ApiKey ?? throw new InvalidOperationException("No API key configured."));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return ApiErrors.Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.");
        }

        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(presented, _key))
        {
            return ApiErrors.Unauthorized("Invalid API key.");
        }

        return await next(context);
    }
}
