using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace TraceReplay.Grains.Llm;

/// <summary>
/// Model prices with their effective dates: the table shipped in model-prices.json, with <see cref="LlmOptions.Prices"/>
/// over it (re-read when configuration reloads). Each model has a list of prices, each in force from its
/// <see cref="DatedPrice.EffectiveFrom"/> until the next; a call is priced at the one in force at its time, and a call
/// older than a model's first known price at that first price (nothing older is known).
/// Cost = prompt tokens × input price + completion tokens × output price; a model without a price has an unknown
/// (null) cost, never $0.
/// </summary>
public sealed class ModelPriceTable
{
    private const string ResourceName = "TraceReplay.model-prices.json";
    private readonly IReadOnlyList<DatedPrice> _shipped;
    private readonly TimeProvider _time;

    // Swapped whole when configuration reloads, so a reader always sees one consistent table.
    private volatile Dictionary<string, DatedPrice[]> _history;

    public ModelPriceTable(IOptions<LlmOptions> options)
        : this(LoadShippedHistory(), options.Value.Prices, TimeProvider.System)
    {
    }

    /// <summary>The table over the shipped prices; a configuration reload with valid prices replaces the overrides.</summary>
    public ModelPriceTable(IOptionsMonitor<LlmOptions> options, TimeProvider time)
        : this(LoadShippedHistory(), options.CurrentValue.Prices, time)
    {
        options.OnChange(changed =>
        {
            try
            {
                _history = Build(_shipped, changed.Prices);
            }
            catch (InvalidOperationException)
            {
                // An invalid edit keeps the prices in force; start-up validation reports it on the next restart.
            }
        });
    }

    internal ModelPriceTable(IEnumerable<ModelPrice> shipped, IReadOnlyDictionary<string, ModelPriceOverride> overrides)
        : this([.. shipped.Select(p => new DatedPrice(p.Model, p.Provider, p.InputPerMillion, p.OutputPerMillion, null, PriceSource.Shipped))],
            overrides, TimeProvider.System)
    {
    }

    internal ModelPriceTable(IReadOnlyList<DatedPrice> shipped, IReadOnlyDictionary<string, ModelPriceOverride> overrides, TimeProvider time)
    {
        _shipped = shipped;
        _time = time;
        _history = Build(shipped, overrides);
    }

    /// <summary>Every priced model at its current price, by provider and name.</summary>
    public IReadOnlyList<ModelPrice> All =>
        [.. _history.Values.Select(h => ToModelPrice(At(h, _time.GetUtcNow()))).OrderBy(p => p.Provider).ThenBy(p => p.Model)];

    /// <summary>The model's current price, or null when it has none.</summary>
    public ModelPrice? Find(string? model) => PriceAt(model, _time.GetUtcNow()) is { } price ? ToModelPrice(price) : null;

    /// <summary>The price in force at <paramref name="at"/>, or null when the model has none.</summary>
    public DatedPrice? PriceAt(string? model, DateTimeOffset at) =>
        model is not null && _history.TryGetValue(model, out var history) ? At(history, at) : null;

    /// <summary>Every price the model has had, oldest first; empty for an unpriced model.</summary>
    public IReadOnlyList<DatedPrice> History(string? model) =>
        model is not null && _history.TryGetValue(model, out var history) ? history : [];

    /// <summary>The prices in force at <paramref name="at"/> of those <paramref name="models"/> that have one.</summary>
    public PriceSnapshot Snapshot(IEnumerable<string?> models, DateTimeOffset at) =>
        new(at, [.. models.OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Select(m => PriceAt(m, at)).OfType<DatedPrice>()]);

    /// <summary>The cost in USD of a call at today's price, or null when the model has no price or the usage is unknown.</summary>
    public decimal? Cost(string? model, int? promptTokens, int? completionTokens) =>
        Cost(model, promptTokens, completionTokens, _time.GetUtcNow());

    /// <summary>The cost in USD of a call made at <paramref name="at"/>, at the price then in force.</summary>
    public decimal? Cost(string? model, int? promptTokens, int? completionTokens, DateTimeOffset at) =>
        PriceAt(model, at)?.Cost(promptTokens, completionTokens);

    internal static IReadOnlyList<ModelPrice> LoadShipped() =>
        [.. LoadShippedHistory().GroupBy(p => p.Model, StringComparer.OrdinalIgnoreCase)
            .Select(g => ToModelPrice(g.OrderBy(p => p.EffectiveFrom).Last()))];

    /// <summary>Every shipped price with its date; an entry without "effectiveFrom" takes the file's.</summary>
    internal static IReadOnlyList<DatedPrice> LoadShippedHistory()
    {
        using var stream = typeof(ModelPriceTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded price table {ResourceName} is missing.");
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        DateTimeOffset? fileDate = root.TryGetProperty("effectiveFrom", out var date) ? ParseDate(date.GetString()!) : null;
        return [.. root.GetProperty("models").EnumerateArray().Select(m => new DatedPrice(
            m.GetProperty("model").GetString()!,
            m.GetProperty("provider").GetString()!,
            m.GetProperty("inputPerMillion").GetDecimal(),
            m.GetProperty("outputPerMillion").GetDecimal(),
            m.TryGetProperty("effectiveFrom", out var from) ? ParseDate(from.GetString()!) : fileDate,
            PriceSource.Shipped))];
    }

    private static DateTimeOffset ParseDate(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static Dictionary<string, DatedPrice[]> Build(IReadOnlyList<DatedPrice> shipped, IReadOnlyDictionary<string, ModelPriceOverride> overrides)
    {
        var prices = shipped.GroupBy(p => p.Model, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in overrides)
        {
            var known = prices.GetValueOrDefault(model);
            var provider = price.Provider ?? known?.LastOrDefault()?.Provider ?? "custom";
            var configured = price.History
                .Select(h => (h.EffectiveFrom ?? throw Invalid(model, "every History entry needs an EffectiveFrom"), h.InputPerMillion, h.OutputPerMillion))
                .Select(h => new DatedPrice(model, provider, h.InputPerMillion, h.OutputPerMillion, h.Item1, PriceSource.Override))
                .Append(new DatedPrice(model, provider, price.InputPerMillion, price.OutputPerMillion, price.EffectiveFrom, PriceSource.Override))
                .ToList();
            if (configured.Any(p => p.InputPerMillion < 0 || p.OutputPerMillion < 0))
            {
                throw Invalid(model, "prices cannot be negative");
            }

            if (configured.GroupBy(p => p.EffectiveFrom).Any(g => g.Count() > 1))
            {
                throw Invalid(model, "two prices have the same EffectiveFrom");
            }

            // An undated override is the model's whole price list; dated ones replace the shipped price of their date.
            prices[model] = price.EffectiveFrom is null || known is null
                ? configured
                : [.. known.Where(k => configured.All(c => c.EffectiveFrom != k.EffectiveFrom)).Concat(configured)];
        }

        return prices.ToDictionary(p => p.Key, p => p.Value.OrderBy(d => d.EffectiveFrom).ToArray(), StringComparer.OrdinalIgnoreCase);
    }

    private static InvalidOperationException Invalid(string model, string reason) =>
        new($"{LlmOptions.Section}:Prices:{model}: {reason}.");

    /// <summary>The last price in force at <paramref name="at"/>; before the first dated one, the first.</summary>
    private static DatedPrice At(DatedPrice[] history, DateTimeOffset at)
    {
        var price = history[0];
        foreach (var candidate in history)
        {
            if (candidate.EffectiveFrom is null || candidate.EffectiveFrom <= at)
            {
                price = candidate;
            }
        }

        return price;
    }

    private static ModelPrice ToModelPrice(DatedPrice price) => new(price.Model, price.Provider, price.InputPerMillion, price.OutputPerMillion);
}
