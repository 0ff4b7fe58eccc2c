namespace TraceReplay.Grains.Llm;

/// <summary>One model of the catalog: its price, if known, and who serves it, if anyone.</summary>
/// <param name="Name">The model name as sent to the provider.</param>
/// <param name="Provider">The price table's provider, or the serving provider for an unpriced model.</param>
/// <param name="InputPerMillion">USD per one million prompt tokens; null when the model has no price.</param>
/// <param name="OutputPerMillion">USD per one million completion tokens; null when the model has no price.</param>
/// <param name="Served">True when a provider or the simulator answers this model.</param>
/// <param name="ServedBy">The serving provider's name, "simulator", or null.</param>
/// <param name="Simulated">True when the simulator answers this model.</param>
/// <param name="ServedByKind">The serving provider's kind: openai, azure-openai, anthropic or simulator; null when not served.</param>
public sealed record ModelCatalogEntry(
    string Name,
    string Provider,
    decimal? InputPerMillion,
    decimal? OutputPerMillion,
    bool Served,
    string? ServedBy,
    bool Simulated,
    string? ServedByKind = null);
