namespace TraceReplay.Grains;

/// <summary>
/// Every project and API key (one activation, key <see cref="TraceReplayNames.ProjectRegistry"/>). Keys are stored as
/// SHA-256 hashes; the API caches lookups briefly, so this grain is asked once per key per cache period, not per request.
/// The default project always exists.
/// </summary>
[Alias("TraceReplay.IProjectRegistryGrain")]
public interface IProjectRegistryGrain : IGrainWithStringKey
{
    /// <summary>Creates a project with a generated id (<c>prj_…</c>).</summary>
    [Alias("CreateProjectAsync")]
    Task<ProjectInfo> CreateProjectAsync(string name, DateTimeOffset now);

    /// <summary>Every project, the default first.</summary>
    [Alias("ListProjectsAsync"), AlwaysInterleave]
    Task<IReadOnlyList<ProjectInfo>> ListProjectsAsync();

    /// <summary>A project, or null for an unknown id.</summary>
    [Alias("GetProjectAsync"), AlwaysInterleave]
    Task<ProjectInfo?> GetProjectAsync(string projectId);

    /// <summary>Records a new key by its hash; null when the project is unknown.</summary>
    [Alias("AddKeyAsync")]
    Task<ApiKeyInfo?> AddKeyAsync(string projectId, string name, string hash, string prefix, DateTimeOffset now);

    /// <summary>A project's keys, revoked ones included; null when the project is unknown.</summary>
    [Alias("ListKeysAsync"), AlwaysInterleave]
    Task<IReadOnlyList<ApiKeyInfo>?> ListKeysAsync(string projectId);

    /// <summary>Revokes a key of the project; null when the project has no such key. Revoking twice changes nothing.</summary>
    [Alias("RevokeKeyAsync")]
    Task<ApiKeyInfo?> RevokeKeyAsync(string projectId, string keyId, DateTimeOffset now);

    /// <summary>The live key with this hash, its last-used time set to <paramref name="now"/>; null when unknown or revoked.</summary>
    [Alias("AuthenticateAsync")]
    Task<ApiKeyInfo?> AuthenticateAsync(string hash, DateTimeOffset now);
}
