using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Api.Apis;

/// <summary>What the trace and replay handlers need, bundled for <c>[AsParameters]</c>.</summary>
public sealed record TraceServices(IClusterClient Grains, ITraceCatalog Catalog, IOptions<ApiOptions> ApiOptions, TimeProvider Time)
{
    public ApiOptions Options => ApiOptions.Value;
}
