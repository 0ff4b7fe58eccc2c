using System.Security.Cryptography;

namespace TraceReplay.Grains.Projects;

[GenerateSerializer, Alias("TraceReplay.ProjectRegistryState")]
public sealed class ProjectRegistryState
{
    [Id(0)] public List<ProjectInfo> Projects { get; set; } = [];

    [Id(1)] public List<ApiKeyInfo> Keys { get; set; } = [];

    /// <summary>Key id by SHA-256 hash (hex).</summary>
    [Id(2)] public Dictionary<string, string> KeyIdsByHash { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Every project and its hashed API keys; see <see cref="IProjectRegistryGrain"/>.</summary>
public sealed partial class ProjectRegistryGrain(
    [PersistentState("project-registry", TraceReplayNames.ProjectStorage)] IPersistentState<ProjectRegistryState> state,
    ILogger<ProjectRegistryGrain> logger) : Grain, IProjectRegistryGrain
{
    private static readonly ProjectInfo DefaultProject = new(TraceReplayNames.DefaultProject, "Default project", DateTimeOffset.UnixEpoch);

    public async Task<ProjectInfo> CreateProjectAsync(string name, DateTimeOffset now)
    {
        var project = new ProjectInfo("prj_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), name, now);
        state.State.Projects.Add(project);
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IRetentionGrain>(project.Id).EnsureScheduledAsync();
        LogProjectCreated(logger, project.Id);
        return project;
    }

    public Task<IReadOnlyList<ProjectInfo>> ListProjectsAsync() =>
        Task.FromResult<IReadOnlyList<ProjectInfo>>([DefaultProject, .. state.State.Projects]);

    public Task<ProjectInfo?> GetProjectAsync(string projectId) => Task.FromResult(Find(projectId));

    public async Task<ApiKeyInfo?> AddKeyAsync(string projectId, string name, string hash, string prefix, DateTimeOffset now)
    {
        if (Find(projectId) is null || state.State.KeyIdsByHash.ContainsKey(hash))
        {
            return null;
        }

        var key = new ApiKeyInfo("key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), projectId, name, prefix, now, null, null);
        state.State.Keys.Add(key);
        state.State.KeyIdsByHash[hash] = key.Id;
        await state.WriteStateAsync();
        LogKeyCreated(logger, key.Id, projectId);
        return key;
    }

    public Task<IReadOnlyList<ApiKeyInfo>?> ListKeysAsync(string projectId) =>
        Task.FromResult<IReadOnlyList<ApiKeyInfo>?>(Find(projectId) is null ? null : [.. state.State.Keys.Where(k => k.ProjectId == projectId)]);

    public async Task<ApiKeyInfo?> RevokeKeyAsync(string projectId, string keyId, DateTimeOffset now)
    {
        var index = state.State.Keys.FindIndex(k => k.Id == keyId && k.ProjectId == projectId);
        if (index < 0)
        {
            return null;
        }

        if (state.State.Keys[index].RevokedAt is null)
        {
            state.State.Keys[index] = state.State.Keys[index] with { RevokedAt = now };
            await state.WriteStateAsync();
            LogKeyRevoked(logger, keyId, projectId);
        }

        return state.State.Keys[index];
    }

    public async Task<ApiKeyInfo?> AuthenticateAsync(string hash, DateTimeOffset now)
    {
        var index = state.State.KeyIdsByHash.TryGetValue(hash, out var keyId) ? state.State.Keys.FindIndex(k => k.Id == keyId) : -1;
        if (index < 0 || state.State.Keys[index].RevokedAt is not null)
        {
            return null;
        }

        state.State.Keys[index] = state.State.Keys[index] with { LastUsedAt = now };
        await state.WriteStateAsync();
        return state.State.Keys[index];
    }

    private ProjectInfo? Find(string projectId) =>
        projectId == TraceReplayNames.DefaultProject ? DefaultProject : state.State.Projects.FirstOrDefault(p => p.Id == projectId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Project {ProjectId} created")]
    private static partial void LogProjectCreated(ILogger logger, string projectId);

    [LoggerMessage(Level = LogLevel.Information, Message = "API credential {CredentialId} created for project {ProjectId}")]
    private static partial void LogKeyCreated(ILogger logger, string credentialId, string projectId);

    [LoggerMessage(Level = LogLevel.Information, Message = "API credential {CredentialId} of project {ProjectId} revoked")]
    private static partial void LogKeyRevoked(ILogger logger, string credentialId, string projectId);
}
