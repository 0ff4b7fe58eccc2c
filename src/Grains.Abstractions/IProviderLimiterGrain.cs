namespace TraceReplay.Grains;

/// <summary>What a silo asks the limiter for, reporting the outcomes of the calls it made since it last asked.</summary>
/// <param name="Wanted">Permits wanted now (0 only reports).</param>
/// <param name="Succeeded">Calls that succeeded since the last request.</param>
/// <param name="Throttled">Answers 429 (attempts, retries included) since the last request.</param>
[GenerateSerializer, Immutable]
public sealed record PermitRequest(
    [property: Id(0)] int Wanted,
    [property: Id(1)] int Succeeded,
    [property: Id(2)] int Throttled);

/// <summary>Permits granted (possibly none), when to ask again if none, and the rate now allowed.</summary>
[GenerateSerializer, Immutable]
public sealed record PermitGrant(
    [property: Id(0)] int Granted,
    [property: Id(1)] TimeSpan RetryAfter,
    [property: Id(2)] double RatePerSecond);

/// <summary>
/// The cluster-wide request rate of one provider and model (key: <c>provider/model</c>): additive increase on
/// success, multiplicative decrease on 429. It answers at once and never waits; callers wait on their own side.
/// </summary>
[Alias("TraceReplay.IProviderLimiterGrain")]
public interface IProviderLimiterGrain : IGrainWithStringKey
{
    /// <summary>Grants up to <see cref="PermitRequest.Wanted"/> permits from the current rate and takes the reported outcomes into account.</summary>
    [Alias("AcquireAsync")]
    Task<PermitGrant> AcquireAsync(PermitRequest request);
}
