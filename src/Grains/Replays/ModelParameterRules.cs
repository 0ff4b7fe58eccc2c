using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Replays;

/// <summary>The accepted ranges of model parameters, checked when a replay is triggered.</summary>
public static class ModelParameterRules
{
    private static readonly Dictionary<string, (double Min, double Max)> Ranges = new(StringComparer.Ordinal)
    {
        ["temperature"] = (0, 2),
        ["top_p"] = (0, 1),
        ["frequency_penalty"] = (-2, 2),
        ["presence_penalty"] = (-2, 2),
        ["max_tokens"] = (1, int.MaxValue),
        ["max_completion_tokens"] = (1, int.MaxValue),
        ["n"] = (1, 1),
    };

    /// <summary>Parses an override object; returns it, or an error naming the field.</summary>
    public static (JsonObject? Parameters, string? Error) Parse(string? json, string field = "modelParameters")
    {
        if (json is null)
        {
            return (null, null);
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return (null, $"{field} must be a JSON object.");
        }

        if (node is not JsonObject parameters)
        {
            return (null, $"{field} must be a JSON object.");
        }

        foreach (var (name, value) in parameters)
        {
            if (value is null || !Ranges.TryGetValue(name, out var range))
            {
                continue;
            }

            if (value.GetValueKind() != JsonValueKind.Number)
            {
                return (null, $"{field}.{name} must be a number.");
            }

            var number = value.GetValue<double>();
            if (number < range.Min || number > range.Max)
            {
                return (null, range.Max == int.MaxValue
                    ? $"{field}.{name} must be at least {range.Min}; got {number}."
                    : $"{field}.{name} must be between {range.Min} and {range.Max}; got {number}.");
            }

            if (name.StartsWith("max_", StringComparison.Ordinal) && number != Math.Floor(number))
            {
                return (null, $"{field}.{name} must be a whole number; got {number}.");
            }
        }

        return (parameters, null);
    }
}
