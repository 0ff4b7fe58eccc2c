namespace TraceReplay.Grains;

/// <summary>
/// The silo's model catalog and price table: which models a configured provider serves and at what price. The API
/// asks it rather than reading the silo's configuration itself, so an API in the Client role needs no provider keys.
/// </summary>
[Alias("TraceReplay.IModelCatalogGrain")]
public interface IModelCatalogGrain : IGrainWithIntegerKey
{
    /// <summary>Every known model with its price at this moment and whether it is served.</summary>
    [Alias("ListModelsAsync")]
    Task<IReadOnlyList<ModelInfo>> ListModelsAsync();

    /// <summary>A model's prices, oldest first; empty for a model without a price.</summary>
    [Alias("PriceHistoryAsync")]
    Task<IReadOnlyList<DatedPrice>> PriceHistoryAsync(string model);

    /// <summary>The prices of <paramref name="models"/> in force at <paramref name="at"/>, for a sweep to keep.</summary>
    [Alias("SnapshotAsync")]
    Task<PriceSnapshot> SnapshotAsync(IReadOnlyList<string> models, DateTimeOffset at);

    /// <summary>Whether a provider serves <paramref name="model"/>, and the models that are served.</summary>
    [Alias("ServingAsync")]
    Task<ModelServing> ServingAsync(string model);
}

/// <summary>One model of the catalog: its price now (null when unpriced) and who serves it (null when no one).</summary>
[GenerateSerializer, Immutable]
public sealed record ModelInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] string Provider,
    [property: Id(2)] decimal? InputPerMillion,
    [property: Id(3)] decimal? OutputPerMillion,
    [property: Id(4)] bool Served,
    [property: Id(5)] string? ServedBy,
    [property: Id(6)] bool Simulated,
    [property: Id(7)] string? ServedByKind,
    [property: Id(8)] DatedPrice? Price);

/// <summary>Whether one model is served, with every served model for the message that says it is not.</summary>
[GenerateSerializer, Immutable]
public sealed record ModelServing([property: Id(0)] bool Served, [property: Id(1)] IReadOnlyList<string> ServedModels);
