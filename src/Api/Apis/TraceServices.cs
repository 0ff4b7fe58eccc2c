using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Api.Apis;

/// <summary>What the trace and replay handlers need, bundled for <c>[AsParameters]</c>.</summary>
public sealed class TraceServices(IClusterClient grains, ITraceCatalog catalog, IOptions<ApiOptions> options, TimeProvider time)
{
    public IClusterClient Grains { get; } = grains;

    public ITraceCatalog Catalog { get; } = catalog;

    public ApiOptions Options { get; } = options.Value;

    public TimeProvider Time { get; } = time;
}
