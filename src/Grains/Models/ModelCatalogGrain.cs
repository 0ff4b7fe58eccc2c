using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Models;

/// <summary>
/// Answers from the silo's own <see cref="LlmProviderRegistry"/> and <see cref="ModelPriceTable"/>; a stateless worker,
/// so every silo answers locally from the same configuration and no call waits on another.
/// </summary>
[StatelessWorker]
public sealed class ModelCatalogGrain(LlmProviderRegistry providers, ModelPriceTable prices, TimeProvider time) : Grain, IModelCatalogGrain
{
    public Task<IReadOnlyList<ModelInfo>> ListModelsAsync()
    {
        // Prices come from the table at read time: a configuration reload changes them without rebuilding the registry.
        var now = time.GetUtcNow();
        return Task.FromResult<IReadOnlyList<ModelInfo>>([.. providers.Catalog.Select(m => new ModelInfo(
            m.Name, m.Provider, m.InputPerMillion, m.OutputPerMillion, m.Served, m.ServedBy, m.Simulated, m.ServedByKind, prices.PriceAt(m.Name, now)))]);
    }

    public Task<IReadOnlyList<DatedPrice>> PriceHistoryAsync(string model) => Task.FromResult(prices.History(model));

    public Task<PriceSnapshot> SnapshotAsync(IReadOnlyList<string> models, DateTimeOffset at) => Task.FromResult(prices.Snapshot(models, at));

    public Task<ModelServing> ServingAsync(string model) => Task.FromResult(new ModelServing(providers.IsServed(model), providers.ServedModels));
}
