using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Api.Apis;

/// <summary>The model catalog: prices and which models a configured provider serves.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/models").WithTags("Models")
            .MapGet("/", ListModels).WithName("ListModels").WithSummary("Every known model with its price and whether it is served");
        return app;
    }

    public static Ok<DataEnvelope<IReadOnlyList<ModelDto>>> ListModels(LlmProviderRegistry providers) =>
        TypedResults.Ok(new DataEnvelope<IReadOnlyList<ModelDto>>([.. providers.Catalog.Select(m => new ModelDto(
            m.Name, m.Provider, m.InputPerMillion, m.OutputPerMillion, m.Served, m.ServedBy, m.Simulated, m.ServedByKind))]));
}
