namespace TraceReplay.Grains.Llm;

// STUB: replaced by the gateway branch.
public sealed record ModelCatalogEntry(string Name, string Provider, decimal? InputPerMillion, decimal? OutputPerMillion, bool Served, string? ServedBy, bool Simulated);

public sealed class LlmProviderRegistry
{
    public bool IsServed(string model) => throw new NotImplementedException();

    public IReadOnlyList<string> ServedModels => throw new NotImplementedException();

    public IReadOnlyList<ModelCatalogEntry> Catalog => throw new NotImplementedException();

    public bool SimulatorActive => throw new NotImplementedException();
}
