using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Api.Apis;

/// <summary>What the trace and replay handlers need, bundled for <c>[AsParameters]</c>; <see cref="Project"/> is the caller's.</summary>
public sealed record TraceServices(
    IClusterClient Grains, ITraceCatalog Catalog, IOptions<ApiOptions> ApiOptions, IOptions<LimitOptions> LimitOptions,
    IOptions<RetentionOptions> RetentionOptions, TimeProvider Time, ProjectContext Project)
{
    public ApiOptions Options => ApiOptions.Value;

    public LimitOptions Limits => LimitOptions.Value;

    /// <summary>The caller's project's trace <paramref name="traceId"/>; another project's trace of that id is never reached.</summary>
    public ITraceGrain Trace(string traceId) => Grains.GetGrain<ITraceGrain>(TraceKeys.For(Project.Id, traceId));
}
