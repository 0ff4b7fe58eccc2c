using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Templates;

namespace TraceReplay.Api.Apis;

/// <summary>The body of <c>POST /api/v1/prompt-templates</c>; every field is nullable so that we report what is missing.</summary>
public sealed record CreatePromptTemplateRequest(
    string? Name,
    string? Content,
    IReadOnlyList<string>? Variables,
    string? Description,
    string? CommitMessage)
{
    /// <summary>Reads the body field by field, so that a wrong type is an error naming the field.</summary>
    public static (CreatePromptTemplateRequest? Request, string? Error) Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "the body must be a JSON object with name and content");
        }

        var name = OptionalString(root, "name", out var error);
        var content = error is null ? OptionalString(root, "content", out error) : null;
        var variables = error is null ? OptionalStrings(root, "variables", out error) : null;
        var description = error is null ? OptionalString(root, "description", out error) : null;
        var commitMessage = error is null ? OptionalString(root, "commitMessage", out error) : null;
        return error is null ? (new CreatePromptTemplateRequest(name, content, variables, description, commitMessage), null) : (null, error);
    }

    private static string? OptionalString(JsonElement root, string field, out string? error)
    {
        error = null;
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = $"{field} must be a string";
            return null;
        }

        return value.GetString();
    }

    private static IReadOnlyList<string>? OptionalStrings(JsonElement root, string field, out string? error)
    {
        error = null;
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            error = $"{field} must be an array of strings";
            return null;
        }

        return [.. value.EnumerateArray().Select(v => v.GetString()!)];
    }
}

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
            .DocumentsBody<CreatePromptTemplateRequest>().ProducesErrors(400, 413);
        api.MapGet("/", GetTemplates)
            .WithName("GetPromptTemplates")
            .WithSummary("List templates, or get a template's latest (?name=) or a given version (?name=&version=)").ProducesErrors(400, 404);
        api.MapGet("/versions/{id}", GetVersionById)
            .WithName("GetPromptTemplateVersion")
            .WithSummary("Get a template version by its id").ProducesErrors(404);

        return app;
    }

    public static async Task<Results<Created<DataEnvelope<PromptTemplateVersion>>, JsonHttpResult<ApiErrorBody>>> CreateVersion(
        HttpRequest httpRequest,
        IGrainFactory grains,
        IOptions<ApiOptions> options,
        ProjectContext project,
        CancellationToken cancellationToken)
    {
        var (document, readError) = await RequestBody.ReadJsonAsync(httpRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        CreatePromptTemplateRequest request;
        using (document)
        {
            if (document is null)
            {
                return ApiErrors.Validation("a JSON body with name and content is required");
            }

            var (parsed, parseError) = CreatePromptTemplateRequest.Parse(document.RootElement);
            if (parseError is not null)
            {
                return ApiErrors.Validation(parseError);
            }

            request = parsed!;
        }

        if (ValidateName(request.Name) is { } badName)
        {
            return badName;
        }

        if (request.Content is null)
        {
            return ApiErrors.Validation("content is required");
        }

        if (request.Content.Length > MaxContentLength)
        {
            return ApiErrors.Validation($"content must be at most {MaxContentLength} characters");
        }

        if (request.Variables?.Select(v => TextRules.Check("variables", v, MaxNameLength)).FirstOrDefault(e => e is not null) is { } badVariable)
        {
            return ApiErrors.Validation(badVariable);
        }

        var result = await PromptTemplateLookup.GetTemplate(grains, project.Id, request.Name!)
            .CreateVersionAsync(new NewPromptTemplateVersion(request.Content, request.Variables, request.Description, request.CommitMessage));
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

    private static JsonHttpResult<ApiErrorBody>? ValidateName(string? name) => name switch
    {
        null => ApiErrors.Validation("name is required"),
        _ when string.IsNullOrWhiteSpace(name) => ApiErrors.Validation("name must not be blank"),
        _ when name.Length > MaxNameLength => ApiErrors.Validation($"name must be at most {MaxNameLength} characters"),
        _ when name != name.Trim() => ApiErrors.Validation("name must not start or end with whitespace"),
        _ when name.Any(char.IsControl) => ApiErrors.Validation("name must not contain control characters"),
        _ => null,
    };
}
