namespace TraceReplay.Grains;

/// <summary>A project: the unit of isolation. Every trace, template, evaluator, replay, sweep and score belongs to one.</summary>
[GenerateSerializer, Immutable]
public sealed record ProjectInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>
/// An API key of a project, without its secret: only the SHA-256 hash of a key is stored, and
/// <see cref="Prefix"/> (its first characters) lets a person tell keys apart.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ApiKeyInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string ProjectId,
    [property: Id(2)] string Name,
    [property: Id(3)] string Prefix,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset? LastUsedAt,
    [property: Id(6)] DateTimeOffset? RevokedAt);

/// <summary>What a project may have in flight at once, counted by <see cref="IProjectQuotaGrain"/>.</summary>
public enum QuotaKind
{
    Replays = 0,
    Sweeps = 1,
    Backfills = 2,
}
