namespace TraceReplay.Grains;

/// <summary>Where a price came from: the table shipped with TraceReplay, or configuration (<c>TraceReplay:Llm:Prices</c>).</summary>
public enum PriceSource
{
    Shipped = 0,
    Override = 1,
}

/// <summary>
/// A model's price, USD per one million tokens, in force from <see cref="EffectiveFrom"/> until the model's next dated
/// price. Replays and sweeps store the prices they used, so a later price change changes none of their figures.
/// </summary>
/// <param name="EffectiveFrom">When the price took effect; null for a price in force since always.</param>
[GenerateSerializer, Immutable]
public sealed record DatedPrice(
    [property: Id(0)] string Model,
    [property: Id(1)] string Provider,
    [property: Id(2)] decimal InputPerMillion,
    [property: Id(3)] decimal OutputPerMillion,
    [property: Id(4)] DateTimeOffset? EffectiveFrom,
    [property: Id(5)] PriceSource Source)
{
    /// <summary>The cost in USD of a call at this price, or null when the usage is unknown.</summary>
    public decimal? Cost(int? promptTokens, int? completionTokens) =>
        promptTokens is null || completionTokens is null
            ? null
            : (promptTokens.Value * InputPerMillion + completionTokens.Value * OutputPerMillion) / 1_000_000m;
}

/// <summary>Prices that compare by their items, so the records holding them (replay snapshots) compare by value.</summary>
[GenerateSerializer, Immutable]
public sealed record PriceList([property: Id(0)] IReadOnlyList<DatedPrice> Items)
{
    public bool Equals(PriceList? other) => other is not null && Items.SequenceEqual(other.Items);

    public override int GetHashCode() => Items.Count;
}

/// <summary>The prices a sweep priced its replays with, taken when it was created; compares by value.</summary>
/// <param name="TakenAt">The instant whose prices these are: the sweep's creation.</param>
[GenerateSerializer, Immutable]
public sealed record PriceSnapshot(
    [property: Id(0)] DateTimeOffset TakenAt,
    [property: Id(1)] IReadOnlyList<DatedPrice> Prices)
{
    public bool Equals(PriceSnapshot? other) => other is not null && TakenAt == other.TakenAt && Prices.SequenceEqual(other.Prices);

    public override int GetHashCode() => HashCode.Combine(TakenAt, Prices.Count);

    /// <summary>The snapshot's price of <paramref name="model"/> (case-insensitive), or null.</summary>
    public DatedPrice? Find(string? model) =>
        model is null ? null : Prices.FirstOrDefault(p => string.Equals(p.Model, model, StringComparison.OrdinalIgnoreCase));
}
