using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;

namespace TraceReplay.Api.Apis;

/// <summary>A project key as listed: never its secret, only its first characters.</summary>
public sealed record ApiKeyDto(
    string Id, string ProjectId, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeyDto From(ApiKeyInfo key) => new(key.Id, key.ProjectId, key.Name, key.Prefix, key.CreatedAt, key.LastUsedAt, key.RevokedAt);
}

/// <summary>A key just created: the one time its secret is shown.</summary>
public sealed record CreatedApiKeyDto(string Id, string ProjectId, string Name, string Prefix, DateTimeOffset CreatedAt, string Key);

/// <summary>What the admin endpoints need, bundled for <c>[AsParameters]</c>.</summary>
public sealed record ProjectServices(IClusterClient Grains, IOptions<ApiOptions> ApiOptions, TimeProvider Time)
{
    public IProjectRegistryGrain Registry => Grains.GetGrain<IProjectRegistryGrain>(TraceReplayNames.ProjectRegistry);
}

/// <summary>Projects and their API keys, managed with the admin key (TRACEREPLAY_ADMIN_KEY).</summary>
public static class ProjectsApi
{
    public const int MaxNameLength = 200;

    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/projects").WithTags("Projects").AddEndpointFilter<AdminKeyFilter>().ProducesErrors(401).ProducesUnavailable();
        group.MapPost("/", CreateProject).WithName("CreateProject").WithSummary("Create a project (admin key)").ProducesErrors(400, 413, 415);
        group.MapGet("/", ListProjects).WithName("ListProjects").WithSummary("Every project, the default first (admin key)");
        group.MapGet("/{projectId}", GetProject).WithName("GetProject").WithSummary("One project (admin key)").ProducesErrors(404);
        group.MapPost("/{projectId}/keys", CreateKey).WithName("CreateProjectKey")
            .WithSummary("Create an API key of the project; the answer is the only time the key is shown (admin key)").ProducesErrors(400, 404, 413, 415);
        group.MapGet("/{projectId}/keys", ListKeys).WithName("ListProjectKeys")
            .WithSummary("The project's keys with prefix, last use and revocation, never the secret (admin key)").ProducesErrors(404);
        group.MapDelete("/{projectId}/keys/{keyId}", RevokeKey).WithName("RevokeProjectKey")
            .WithSummary("Revoke a key; it stops working within the API's key cache time (admin key)").ProducesErrors(404);
        return app;
    }

    public static async Task<Results<Created<DataEnvelope<ProjectInfo>>, JsonHttpResult<ApiErrorBody>>> CreateProject(
        CreateProjectRequest? body, [AsParameters] ProjectServices services)
    {
        if (body?.Name is not { } name)
        {
            return ApiErrors.Validation("name is required: send {\"name\": \"...\"}.");
        }

        var project = await services.Registry.CreateProjectAsync(name, services.Time.GetUtcNow());
        return TypedResults.Created($"/api/v1/projects/{project.Id}", new DataEnvelope<ProjectInfo>(project));
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<ProjectInfo>>>> ListProjects([AsParameters] ProjectServices services) =>
        TypedResults.Ok(new DataEnvelope<IReadOnlyList<ProjectInfo>>(await services.Registry.ListProjectsAsync()));

    public static async Task<Results<Ok<DataEnvelope<ProjectInfo>>, JsonHttpResult<ApiErrorBody>>> GetProject(
        string projectId, [AsParameters] ProjectServices services) =>
        await services.Registry.GetProjectAsync(projectId) is { } project
            ? TypedResults.Ok(new DataEnvelope<ProjectInfo>(project))
            : ApiErrors.NotFound($"project '{projectId}' not found.");

    public static async Task<Results<Created<DataEnvelope<CreatedApiKeyDto>>, JsonHttpResult<ApiErrorBody>>> CreateKey(
        string projectId, CreateApiKeyRequest? body, HttpRequest request, [AsParameters] ProjectServices services)
    {
        if (body is null && BodyRules.HasBody(request))
        {
            return ApiErrors.Validation("The body must be a JSON object: {\"name\": \"...\"}, or no body.");
        }

        var name = body?.Name;
        var secret = ApiKeyStore.NewKey();
        var prefix = secret[..10];
        var key = await services.Registry.AddKeyAsync(projectId, name ?? "key", ApiKeyStore.Hash(secret), prefix, services.Time.GetUtcNow());
        return key is null
            ? ApiErrors.NotFound($"project '{projectId}' not found.")
            : TypedResults.Created($"/api/v1/projects/{projectId}/keys",
                new DataEnvelope<CreatedApiKeyDto>(new CreatedApiKeyDto(key.Id, key.ProjectId, key.Name, key.Prefix, key.CreatedAt, secret)));
    }

    public static async Task<Results<Ok<DataEnvelope<IReadOnlyList<ApiKeyDto>>>, JsonHttpResult<ApiErrorBody>>> ListKeys(
        string projectId, [AsParameters] ProjectServices services) =>
        await services.Registry.ListKeysAsync(projectId) is { } keys
            ? TypedResults.Ok(new DataEnvelope<IReadOnlyList<ApiKeyDto>>([.. keys.Select(ApiKeyDto.From)]))
            : ApiErrors.NotFound($"project '{projectId}' not found.");

    public static async Task<Results<Ok<DataEnvelope<ApiKeyDto>>, JsonHttpResult<ApiErrorBody>>> RevokeKey(
        string projectId, string keyId, [AsParameters] ProjectServices services) =>
        await services.Registry.RevokeKeyAsync(projectId, keyId, services.Time.GetUtcNow()) is { } key
            ? TypedResults.Ok(new DataEnvelope<ApiKeyDto>(ApiKeyDto.From(key)))
            : ApiErrors.NotFound($"key '{keyId}' of project '{projectId}' not found.");
}
