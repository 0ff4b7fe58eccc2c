using System.Globalization;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>
/// LATENCY and COST: 1 at or below the target, 0 at or above the maximum, linear in between; passes within the
/// maximum. The trace's wall-clock duration (first span start to last span end) or its total cost.
/// </summary>
public sealed class ThresholdEvaluator(bool cost) : Evaluator<ThresholdEvaluator.Settings>
{
    public sealed record Settings(double Max, double Target);

    public override string Type => cost ? "COST" : "LATENCY";

    private string MaxField => cost ? "max_cost_usd" : "max_ms";

    private string TargetField => cost ? "target_cost_usd" : "target_ms";

    protected override Settings Parse(ConfigReader config)
    {
        var max = config.Number(MaxField, 0, required: true)!.Value;
        var target = config.Number(TargetField, 0) ?? 0;
        return target > max ? throw new ConfigException($"config.{TargetField} must not be greater than config.{MaxField}.") : new Settings(max, target);
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var metrics = TraceMetrics.From(input.Trace.Spans);
        double? value = cost ? (double?)metrics.TotalCost : metrics.DurationMs;
        if (value is not { } v)
        {
            return Task.FromResult(EvaluationOutcome.Failed(cost
                ? "the trace's cost is unknown (an LLM span has a model without a price)."
                : "the trace's duration is unknown (no span has both a start and an end time)."));
        }

        var score = v <= s.Target ? 1 : v >= s.Max ? 0 : 1 - (v - s.Target) / (s.Max - s.Target);
        var unit = cost ? "USD" : "ms";
        var what = cost ? "Cost" : "Duration";
        return Task.FromResult(EvaluationOutcome.Scored(score, v <= s.Max, string.Create(CultureInfo.InvariantCulture,
            $"{what} {v:0.######} {unit}; target {s.Target} {unit}, maximum {s.Max} {unit}.")));
    }
}

/// <summary>RESPONSE_TIME_SLA: the score of the first tier (by max_ms, ascending) the trace's duration fits; 0 beyond all.</summary>
public sealed class ResponseTimeSlaEvaluator : Evaluator<ResponseTimeSlaEvaluator.Settings>
{
    public sealed record Tier(string Name, double MaxMs, double Score);

    public sealed record Settings(IReadOnlyList<Tier> Tiers);

    public override string Type => "RESPONSE_TIME_SLA";

    protected override Settings Parse(ConfigReader config)
    {
        if (!config.Root.TryGetProperty("tiers", out var tiers) || tiers.ValueKind != System.Text.Json.JsonValueKind.Array || tiers.GetArrayLength() == 0)
        {
            throw new ConfigException("config.tiers is required: a non-empty array of {name, max_ms, score}.");
        }

        var list = new List<Tier>();
        var index = 0;
        foreach (var tier in tiers.EnumerateArray())
        {
            if (tier.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                throw new ConfigException($"config.tiers[{index}] must be an object {{name, max_ms, score}}.");
            }

            var reader = new ConfigReader(tier);
            try
            {
                list.Add(new Tier(reader.String("name", required: true)!, reader.Number("max_ms", 0, required: true)!.Value, reader.Number("score", 0, 1, required: true)!.Value));
            }
            catch (ConfigException ex)
            {
                throw new ConfigException(ex.Message.Replace("config.", $"config.tiers[{index}].", StringComparison.Ordinal));
            }

            index++;
        }

        return new Settings([.. list.OrderBy(t => t.MaxMs)]);
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        if (TraceMetrics.From(input.Trace.Spans).DurationMs is not { } duration)
        {
            return Task.FromResult(EvaluationOutcome.Failed("the trace's duration is unknown (no span has both a start and an end time)."));
        }

        var tier = s.Tiers.FirstOrDefault(t => duration <= t.MaxMs);
        return Task.FromResult(tier is null
            ? EvaluationOutcome.Scored(0, false, string.Create(CultureInfo.InvariantCulture, $"Duration {duration:0} ms breaches the SLA (slowest tier '{s.Tiers[^1].Name}' allows {s.Tiers[^1].MaxMs} ms)."))
            : EvaluationOutcome.Scored(tier.Score, true, string.Create(CultureInfo.InvariantCulture, $"Duration {duration:0} ms is within tier '{tier.Name}' (≤ {tier.MaxMs} ms, score {tier.Score}).")));
    }
}
