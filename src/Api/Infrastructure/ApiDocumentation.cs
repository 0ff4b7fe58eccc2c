using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c> and its browsable reference at <c>/docs</c>, served from embedded
/// assets (no CDN). Success bodies come from the handlers' <c>Results&lt;...&gt;</c>; error bodies are declared with
/// <see cref="ProducesErrors{TBuilder}"/>, because <c>JsonHttpResult&lt;ApiErrorBody&gt;</c> names no status.
/// </summary>
public static class ApiDocumentation
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "docs";

    /// <summary>Declares that the endpoint (or every endpoint of a group) can answer these statuses with <see cref="ApiErrorBody"/>.</summary>
    public static TBuilder ProducesErrors<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ApiErrorBody), ["application/json"]));
        }

        return builder;
    }

    /// <summary>
    /// Declares that the endpoint (or every endpoint of a group) reaches the cluster and the database, so it can answer
    /// 503 SERVICE_UNAVAILABLE with a <c>Retry-After</c> header while PostgreSQL is restarting, the process's connection
    /// budget is exhausted or no silo answers; the document transformer adds the header to every 503 response.
    /// </summary>
    public static TBuilder ProducesUnavailable<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.ProducesErrors(StatusCodes.Status503ServiceUnavailable);

    /// <summary>
    /// Describes a JSON request body of type <typeparamref name="TBody"/> in the document only. Unlike
    /// <c>Accepts&lt;T&gt;</c> it adds no content-type constraint to routing, so the handler still answers a wrong or
    /// missing body with its own error naming the field.
    /// </summary>
    public static RouteHandlerBuilder DocumentsBody<TBody>(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(TBody), null, cancellationToken) },
                },
            });

    /// <summary>Describes a binary request body (e.g. OTLP protobuf or JSON) in the document only; see <see cref="DocumentsBody{TBody}"/>.</summary>
    public static RouteHandlerBuilder DocumentsRawBody(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = contentTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } }),
            };
            return Task.CompletedTask;
        });

    public static IServiceCollection AddTraceReplayApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "TraceReplay API",
                Version = "v1",
                Description = "Replays recorded LLM-application traces with another model, prompt-template version or parameters. " +
                    "Every endpoint needs 'Authorization: Bearer <project key>'. Success bodies are {\"data\": ...}; " +
                    "errors are {\"error\": {\"code\", \"message\"}}.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The project's API key (TRACEREPLAY_API_KEY, or the key printed at start-up).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            return Task.CompletedTask;
        }).AddOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue("503", out var unavailable) == true && unavailable is OpenApiResponse response)
            {
                response.Description = "The database or the cluster is briefly out of reach (PostgreSQL restarting, the connection budget " +
                    "exhausted, no silo answering); nothing was changed. Retry after the Retry-After seconds.";
                response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                response.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before retrying.",
                    Required = true,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                };
            }

            return Task.CompletedTask;
        }));

    /// <summary>Maps the document and the reference page; neither needs the API key.</summary>
    public static WebApplication MapTraceReplayApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).ExcludeFromDescription();
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = ReferencePath;
            options.DocumentTitle = "TraceReplay API";
            options.SwaggerEndpoint(DocumentPath, "TraceReplay v1");
        });
        return app;
    }
}
