using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;

namespace TraceReplay.Api.Apis;

/// <summary>The model catalog (the silo's <see cref="IModelCatalogGrain"/>): prices, current and dated, and which models a configured provider serves.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/models").WithTags("Models");
        group.MapGet("/", ListModels).WithName("ListModels").WithSummary("Every known model with its current price and whether it is served");
        group.MapGet("/{name}/prices", ListPrices).WithName("ListModelPrices")
            .WithSummary("A model's prices, oldest first, each with the date it took effect and its source").ProducesErrors(404);
        return app;
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<ModelDto>>>> ListModels(IClusterClient grains) =>
        TypedResults.Ok(new DataEnvelope<IReadOnlyList<ModelDto>>([.. (await Catalog(grains).ListModelsAsync()).Select(m => m.Price is { } p
            ? new ModelDto(m.Name, p.Provider, p.InputPerMillion, p.OutputPerMillion, m.Served, m.ServedBy, m.Simulated, m.ServedByKind, p.EffectiveFrom, PriceDto.From(p).Source)
            : new ModelDto(m.Name, m.Provider, m.InputPerMillion, m.OutputPerMillion, m.Served, m.ServedBy, m.Simulated, m.ServedByKind))]));

    public static async Task<Results<Ok<DataEnvelope<IReadOnlyList<PriceDto>>>, JsonHttpResult<ApiErrorBody>>> ListPrices(string name, IClusterClient grains) =>
        await Catalog(grains).PriceHistoryAsync(name) is { Count: > 0 } history
            ? TypedResults.Ok(new DataEnvelope<IReadOnlyList<PriceDto>>([.. history.Select(PriceDto.From)]))
            : ApiErrors.NotFound($"model '{name}' has no price.");

    private static IModelCatalogGrain Catalog(IClusterClient grains) => grains.GetGrain<IModelCatalogGrain>(0);
}
