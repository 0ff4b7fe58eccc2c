using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Replays;

namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// A budgeted sweep's reservation before a replay starts (<see cref="Reserve"/>): unlike <see cref="ReplayEstimates"/>,
/// which uses recorded tokens, it also counts re-rendered templates and, in chained mode, the earlier answers' caps.
/// </summary>
public static class SweepEstimator
{
    /// <summary>Today's price of a model in the table, as a dated price (null: the model has no price).</summary>
    public static Func<string?, DatedPrice?> Today(ModelPriceTable prices) =>
        model => prices.Find(model) is { } p ? new DatedPrice(p.Model, p.Provider, p.InputPerMillion, p.OutputPerMillion, null, PriceSource.Shipped) : null;

    /// <summary>A budgeted replay may answer each call with at most this many times its recorded completion tokens.</summary>
    public const double CompletionMargin = 2.0;

    /// <summary>Prompt tokens are reserved with this margin over the larger of the recorded count and our own count of the input.</summary>
    public const double PromptMargin = 1.25;

    /// <summary>
    /// What a budgeted sweep sets aside before starting a replay: per LLM call the replay will send, the prompt and the
    /// longest answer the replay is allowed (<see cref="ReplayPlanner.CompletionCap"/> at <see cref="CompletionMargin"/>),
    /// at the target model's price. The prompt is the larger of the recorded tokens and the planned request counted with
    /// <see cref="TokenCounter"/> (so a template override's rendered prompt counts, not the recorded one); in chained mode
    /// a call's prompt also carries the earlier calls' replayed answers, so it adds their caps. Then
    /// <see cref="PromptMargin"/>. Null when a model has no price or a span recorded no completion tokens.
    /// </summary>
    /// <param name="templates">The override template and recorded template names (see <see cref="TemplateContextLoader"/>); none: recorded prompts.</param>
    public static decimal? Reserve(TraceData trace, ReplayOverrides overrides, Func<string?, DatedPrice?> priceOf, TemplateContext? templates = null)
    {
        var plan = ReplayPlanner.Plan(trace, overrides, templates ?? TemplateContext.Empty);
        if (plan.Error is not null && templates is not null)
        {
            // The replay will fail on the same error before calling anything; reserve as for the recorded prompts.
            plan = ReplayPlanner.Plan(trace, overrides, TemplateContext.Empty);
        }

        var calls = plan.Error is not null
            ? trace.Spans.Where(s => s.Type == SpanType.Llm && s.NotReplayableReason is null).Select(s => (Span: s, Request: (string?)null)).ToList()
            : (overrides.Mode == ReplayMode.Chained ? ChainedReplayPlanner.Ordered(plan.Calls) : plan.Calls)
                .Select(c => (c.Span, Request: (string?)c.Request.RequestBodyJson)).ToList();
        decimal? total = 0m;
        long earlierAnswers = 0;
        foreach (var (span, request) in calls)
        {
            if (span.CompletionTokens is not { } completion)
            {
                return null;
            }

            var cap = ReplayPlanner.CompletionCap(completion, CompletionMargin);
            long prompt = Math.Max(span.PromptTokens ?? 0, Math.Max(TokenCounter.Count(span.InputJson), TokenCounter.Count(request)));
            if (overrides.Mode == ReplayMode.Chained)
            {
                // The recorded answers this prompt repeats are replaced by the replay's, each up to its cap.
                prompt += earlierAnswers;
                earlierAnswers += cap;
            }

            var reservedPrompt = (int)Math.Min(int.MaxValue, Math.Ceiling(prompt * PromptMargin));
            total += priceOf(overrides.Model ?? span.Model)?.Cost(reservedPrompt, cap);
        }

        return total;
    }

    /// <summary><see cref="Reserve"/> with the override template loaded, as the replay will render it.</summary>
    public static async Task<decimal?> ReserveAsync(IGrainFactory grains, TraceData trace, ReplayOverrides overrides, Func<string?, DatedPrice?> priceOf)
    {
        var (templates, error) = await TemplateContextLoader.LoadAsync(grains, trace, overrides);
        return Reserve(trace, overrides, priceOf, error is null ? templates : null);
    }
}
