using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// What a budgeted sweep decides for one queued trace: start it with its cost reserved, fail it (the trace is gone, or
/// its cost cannot be known), or stop the sweep because the reservation would take spend past the budget.
/// </summary>
/// <param name="Reserved">Set aside in the window's ledger (<see cref="SweepWindow.TryReserve"/>) for a start.</param>
public sealed record SweepAdmission(decimal? Reserved, string? Error, string? StopReason)
{
    public static SweepAdmission Start(decimal reserved) => new(reserved, null, null);

    public static SweepAdmission Fail(string error) => new(null, error, null);

    public static SweepAdmission Stop(string reason) => new(null, null, reason);
}

/// <summary>The budget hard cap: each replay's cost is reserved before it starts, and none starts whose reservation does not fit.</summary>
public static class SweepBudget
{
    /// <summary>
    /// Reserves what replaying <paramref name="trace"/> may cost (<see cref="SweepEstimator.Reserve"/>, at the sweep's
    /// price snapshot, else today's prices) in <paramref name="window"/>'s ledger if it fits the budget.
    /// </summary>
    public static async Task<SweepAdmission> AdmitAsync(
        IGrainFactory grains, SweepWindow window, string traceId, TraceData? trace, SweepDefinition definition, ModelPriceTable prices)
    {
        var budget = definition.BudgetUsd ?? throw new ArgumentException("The sweep has no budget.", nameof(definition));
        if (trace is null)
        {
            return SweepAdmission.Fail($"TRACE_NOT_FOUND: trace '{traceId}' no longer exists.");
        }

        Func<string?, DatedPrice?> priceOf = definition.Prices is { } snapshot ? snapshot.Find : SweepEstimator.Today(prices);
        if (await SweepEstimator.ReserveAsync(grains, trace, definition.Overrides, priceOf) is not { } reserve)
        {
            var estimate = ReplayEstimates.Estimate(trace, definition.Overrides, priceOf);
            var why = estimate.UnpricedModels.Count > 0
                ? $"{string.Join(", ", estimate.UnpricedModels)} has no price"
                : "an LLM span recorded no completion tokens";
            return SweepAdmission.Fail($"COST_UNKNOWN: {why}, so the budget cannot be kept.");
        }

        // The ledger: settled spend plus every unsettled reservation; a replay starts only if its own fits.
        if (!window.TryReserve(reserve, budget))
        {
            var spend = window.Spend;
            return SweepAdmission.Stop(
                $"the next replay (trace '{traceId}', reserved ${reserve:0.######}) would take spend past the budget of ${budget:0.######} " +
                $"(spent ${spend:0.######}, reserved for replays not settled ${window.Committed - spend:0.######}).");
        }

        return SweepAdmission.Start(reserve);
    }
}
