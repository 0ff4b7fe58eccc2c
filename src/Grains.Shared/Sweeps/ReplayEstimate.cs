namespace TraceReplay.Grains.Sweeps;

/// <summary>What replaying one trace is expected to cost: its recorded tokens at the target model's price.</summary>
/// <param name="Cost">Null when a model has no price or a span recorded no usage.</param>
/// <param name="UnpricedModels">The target models the price table does not know.</param>
public sealed record ReplayEstimate(int LlmCalls, long PromptTokens, long CompletionTokens, decimal? Cost, IReadOnlyList<string> UnpricedModels);

/// <summary>
/// Estimates replay costs before anything runs, from the recorded tokens. Pure: the API's sweep estimate and a budgeted
/// sweep's refusal message both use it; a budget's reservation is <see cref="SweepEstimator"/>'s (silo side).
/// </summary>
public static class ReplayEstimates
{
    /// <summary>The estimate at a price snapshot's prices (a sweep's).</summary>
    public static ReplayEstimate Estimate(TraceData trace, ReplayOverrides overrides, PriceSnapshot prices) =>
        Estimate(trace, overrides, prices.Find);

    /// <summary>The estimate at the prices <paramref name="priceOf"/> answers (null: the model has no price).</summary>
    public static ReplayEstimate Estimate(TraceData trace, ReplayOverrides overrides, Func<string?, DatedPrice?> priceOf)
    {
        var calls = trace.Spans.Where(s => s.Type == SpanType.Llm).ToList();
        decimal? cost = 0m;
        var unpriced = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var span in calls)
        {
            var model = overrides.Model ?? span.Model;
            var price = priceOf(model);
            if (price is null)
            {
                unpriced.Add(model ?? "(no model)");
            }

            cost = cost + price?.Cost(span.PromptTokens, span.CompletionTokens);
        }

        return new ReplayEstimate(
            calls.Count, calls.Sum(s => (long)(s.PromptTokens ?? 0)), calls.Sum(s => (long)(s.CompletionTokens ?? 0)), cost, [.. unpriced]);
    }

    /// <summary>Adds up the estimates of many traces; the total is unknown as soon as one is.</summary>
    public static ReplayEstimate Sum(IEnumerable<ReplayEstimate> estimates)
    {
        int calls = 0;
        long prompt = 0, completion = 0;
        decimal? cost = 0m;
        var unpriced = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var e in estimates)
        {
            calls += e.LlmCalls;
            prompt += e.PromptTokens;
            completion += e.CompletionTokens;
            cost += e.Cost;
            unpriced.UnionWith(e.UnpricedModels);
        }

        return new ReplayEstimate(calls, prompt, completion, cost, [.. unpriced]);
    }
}
