using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Templates;

namespace TraceReplay.Api.Apis;

/// <summary>One template in the list: its newest version and how many versions it has.</summary>
public sealed record PromptTemplateSummary(string Name, int LatestVersion, int VersionCount, PromptTemplateVersion Latest);

/// <summary>Every template of a project, by name.</summary>
public sealed record PromptTemplateList(IReadOnlyList<PromptTemplateSummary> Templates);

/// <summary>Prompt templates: immutable, numbered versions of mustache prompts.</summary>
public static class PromptTemplatesApi
{
    /// <summary>The longest template name accepted.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The longest template content accepted, in characters.</summary>
    public const int MaxContentLength = 100_000;

    private const int MaxConcurrentReads = 16;

    public static IEndpointRouteBuilder MapPromptTemplatesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/prompt-templates").WithTags("Prompt templates");

        api.MapPost("/", CreateVersion)
            .WithName("CreatePromptTemplateVersion")
            .WithSummary("Create a template, or the next version of it")
            .ProducesErrors(400, 413, 415);
        api.MapGet("/", GetTemplates)
            .WithName("GetPromptTemplates")
            .WithSummary("List templates, or get a template's latest (?name=) or a given version (?name=&version=)").ProducesErrors(400, 404);
        api.MapGet("/versions/{id}", GetVersionById)
            .WithName("GetPromptTemplateVersion")
            .WithSummary("Get a template version by its id").ProducesErrors(404);

        return app;
    }

    public static async Task<Results<Created<DataEnvelope<PromptTemplateVersion>>, JsonHttpResult<ApiErrorBody>>> CreateVersion(
        CreatePromptTemplateRequest? request, IGrainFactory grains, ProjectContext project)
    {
        if (request is null)
        {
            return ApiErrors.Validation("a JSON body with name and content is required");
        }

        var result = await PromptTemplateLookup.GetTemplate(grains, project.Id, request.Name!)
            .CreateVersionAsync(new NewPromptTemplateVersion(request.Content!, request.Variables, request.Description, request.CommitMessage));
        if (result.Error is { } error)
        {
            return ApiErrors.From(error);
        }

        var version = result.Version!;
        return TypedResults.Created($"/api/v1/prompt-templates/versions/{Uri.EscapeDataString(version.Id)}", new DataEnvelope<PromptTemplateVersion>(version));
    }

    public static async Task<Results<Ok<DataEnvelope<PromptTemplateList>>, Ok<DataEnvelope<PromptTemplateVersion>>, JsonHttpResult<ApiErrorBody>>> GetTemplates(
        string? name,
        string? version,
        IGrainFactory grains,
        ProjectContext project)
    {
        if (name is null)
        {
            if (version is not null)
            {
                return ApiErrors.Validation("name is required when version is given");
            }

            return TypedResults.Ok(new DataEnvelope<PromptTemplateList>(await ListAsync(grains, project.Id)));
        }

        if (ValidateName(name) is { } badName)
        {
            return badName;
        }

        int? number = null;
        if (version is not null)
        {
            if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                return ApiErrors.Validation("version must be a positive integer");
            }

            number = parsed;
        }

        var versions = await PromptTemplateLookup.GetTemplate(grains, project.Id, name).GetVersionsAsync();
        if (versions.Count == 0)
        {
            return ApiErrors.NotFound($"prompt template '{name}' was not found");
        }

        if (number is null)
        {
            return TypedResults.Ok(new DataEnvelope<PromptTemplateVersion>(versions[^1]));
        }

        // Versions are numbered 1, 2, ... in order, so the number is the position.
        return number.Value <= versions.Count
            ? TypedResults.Ok(new DataEnvelope<PromptTemplateVersion>(versions[number.Value - 1]))
            : ApiErrors.NotFound($"prompt template '{name}' has no version {number.Value}");
    }

    public static async Task<Results<Ok<DataEnvelope<PromptTemplateVersion>>, JsonHttpResult<ApiErrorBody>>> GetVersionById(
        string id,
        IGrainFactory grains,
        ProjectContext project)
    {
        var version = await PromptTemplateLookup.FindVersionAsync(grains, project.Id, id);
        return version is null
            ? ApiErrors.NotFound($"prompt template version '{id}' was not found")
            : TypedResults.Ok(new DataEnvelope<PromptTemplateVersion>(version));
    }

    /// <summary>Every template of <paramref name="project"/> with its latest version, by name.</summary>
    public static async Task<PromptTemplateList> ListAsync(IGrainFactory grains, string project, CancellationToken cancellationToken = default)
    {
        var names = await grains.GetGrain<IPromptTemplateIndexGrain>(project).GetNamesAsync();
        var summaries = new PromptTemplateSummary?[names.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentReads, CancellationToken = cancellationToken },
            async (i, _) =>
            {
                var versions = await PromptTemplateLookup.GetTemplate(grains, project, names[i]).GetVersionsAsync();
                if (versions.Count > 0)
                {
                    summaries[i] = new PromptTemplateSummary(names[i], versions[^1].Version, versions.Count, versions[^1]);
                }
            });

        return new PromptTemplateList([.. summaries.OfType<PromptTemplateSummary>()]);
    }

    private static JsonHttpResult<ApiErrorBody>? ValidateName(string? name) =>
        CreatePromptTemplateRequest.CheckName(name) is { } problem ? ApiErrors.Validation($"name {problem}") : null;
}
