using System.Globalization;
using System.Text.Json;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;

namespace TraceReplay.Api.Apis;

/// <summary>A parsed sweep request: what <c>POST /sweeps</c> and <c>POST /sweeps/estimate</c> take.</summary>
public sealed record SweepRequest(
    string? Name, SweepFilter Filter, ReplayOverrides Overrides, int? MaxInFlight, decimal? BudgetUsd, double RegressionThreshold,
    string? BaselineSweepId, bool ScoreOriginals = false);

/// <summary>
/// Reads <c>{name?, filter: {traceIds} | {name?, tags?, status?, startDate?, endDate?, limit?}, overrides?, mode?,
/// toolMatching?, maxInFlight?, budgetUsd?, regressionThreshold?, baselineSweepId?, scoreOriginals?}</c>. Every error names its field; unknown fields are refused.
/// </summary>
public static class SweepRequestParser
{
    public const int MaxNameLength = 200;

    public const int DefaultLimit = 1_000;
    public const double DefaultRegressionThreshold = 0.1;

    public static (SweepRequest? Request, string? Error) Parse(JsonElement root, int maxInFlightLimit)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "The body must be a JSON object.");
        }

        string? name = null, baseline = null;
        SweepFilter? filter = null;
        var overrides = ReplayOverrides.None;
        int? maxInFlight = null;
        decimal? budget = null;
        var threshold = DefaultRegressionThreshold;
        ReplayMode? mode = null;
        ToolMatching? matching = null;
        var scoreOriginals = false;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "name" or "baselineSweepId" when value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null):
                    return (null, $"{property.Name} must be a string.");
                case "name" when TextRules.Check("name", value.GetString(), MaxNameLength, required: false) is { } invalid:
                    return (null, invalid);
                case "name":
                    name = value.GetString();
                    break;
                case "baselineSweepId" when TextRules.CheckId("baselineSweepId", value.GetString(), required: false) is { } invalid:
                    return (null, invalid);
                case "baselineSweepId":
                    baseline = value.GetString();
                    break;
                case "filter":
                    var (parsedFilter, filterError) = ParseFilter(value);
                    if (filterError is not null)
                    {
                        return (null, filterError);
                    }

                    filter = parsedFilter;
                    break;
                case "overrides" when value.ValueKind == JsonValueKind.Null:
                    break;
                case "overrides":
                    var (parsedOverrides, overridesError) = ReplayRequestParser.Parse(value);
                    if (overridesError is not null)
                    {
                        return (null, $"overrides: {overridesError}");
                    }

                    overrides = parsedOverrides!;
                    break;
                case "maxInFlight" when value.ValueKind == JsonValueKind.Null:
                    break;
                case "maxInFlight":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var window) || window < 1 || window > maxInFlightLimit)
                    {
                        return (null, $"maxInFlight must be a whole number from 1 to {maxInFlightLimit}.");
                    }

                    maxInFlight = window;
                    break;
                case "scoreOriginals" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    scoreOriginals = value.GetBoolean();
                    break;
                case "scoreOriginals":
                    return (null, "scoreOriginals must be true or false.");
                case "budgetUsd" when value.ValueKind == JsonValueKind.Null:
                    break;
                case "budgetUsd":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var usd) || usd <= 0)
                    {
                        return (null, "budgetUsd must be a positive number.");
                    }

                    budget = usd;
                    break;
                case "regressionThreshold" when value.ValueKind == JsonValueKind.Null:
                    break;
                case "regressionThreshold":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var regression) || regression is not (> 0 and <= 1))
                    {
                        return (null, "regressionThreshold must be a number greater than 0 and at most 1.");
                    }

                    threshold = value.GetDouble();
                    break;
                case "mode" when value.ValueKind == JsonValueKind.Null:
                    break;
                case "mode":
                    if (!ReplayRequestParser.TryParseName<ReplayMode>(value, out var parsedMode))
                    {
                        return (null, "mode must be \"isolated\" or \"chained\".");
                    }

                    mode = parsedMode;
                    break;
                case "toolMatching" when value.ValueKind == JsonValueKind.Null:
                    break;
                case "toolMatching":
                    if (!ReplayRequestParser.TryParseName<ToolMatching>(value, out var parsedMatching))
                    {
                        return (null, "toolMatching must be \"strict\" or \"fifo\".");
                    }

                    matching = parsedMatching;
                    break;
                default:
                    return (null, $"unknown field '{property.Name}': expected name, filter, overrides, mode, toolMatching, maxInFlight, budgetUsd, regressionThreshold, baselineSweepId or scoreOriginals.");
            }
        }

        if (filter is null)
        {
            return (null, "filter is required: {\"traceIds\": [...]} or {\"tags\": [...], \"name\", \"status\", \"startDate\", \"endDate\", \"limit\"}.");
        }

        // The top-level fields are the sweep's own spelling; inside overrides they are accepted too, but must not disagree.
        if (mode is { } m && overrides.Mode != ReplayMode.Isolated && overrides.Mode != m)
        {
            return (null, "mode: overrides.mode says otherwise; give it once.");
        }

        if (matching is { } t && overrides.ToolMatching != ToolMatching.Strict && overrides.ToolMatching != t)
        {
            return (null, "toolMatching: overrides.toolMatching says otherwise; give it once.");
        }

        overrides = overrides with { Mode = mode ?? overrides.Mode, ToolMatching = matching ?? overrides.ToolMatching };
        return (new SweepRequest(name, filter, overrides, maxInFlight, budget, threshold, baseline, scoreOriginals), null);
    }

    /// <summary>Reads a filter object; also what a backfill takes.</summary>
    public static (SweepFilter? Filter, string? Error) ParseFilter(JsonElement filter)
    {
        if (filter.ValueKind != JsonValueKind.Object)
        {
            return (null, "filter must be an object.");
        }

        List<string>? ids = null, tags = null;
        string? name = null;
        SpanStatus? status = null;
        DateTimeOffset? from = null, to = null;
        var limit = DefaultLimit;
        foreach (var property in filter.EnumerateObject())
        {
            var value = property.Value;
            var field = $"filter.{property.Name}";
            switch (property.Name)
            {
                case "traceIds":
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > SweepFilter.MaxTraces
                        || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || TextRules.CheckId("id", v.GetString()) is not null))
                    {
                        return (null, $"{field} must be an array of 1 to {SweepFilter.MaxTraces} trace ids.");
                    }

                    ids = [.. value.EnumerateArray().Select(v => v.GetString()!)];
                    break;
                case "tags" when value.ValueKind == JsonValueKind.String:
                    tags = [.. value.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    break;
                case "tags":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                    {
                        return (null, $"{field} must be an array of strings.");
                    }

                    tags = [.. value.EnumerateArray().Select(v => v.GetString()!)];
                    break;
                case "name":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        return (null, $"{field} must be a string.");
                    }

                    name = value.GetString();
                    break;
                case "status":
                    if (value.ValueKind != JsonValueKind.String || value.GetString() is not { } s
                        || !Enum.TryParse<SpanStatus>(s, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(s[0]))
                    {
                        return (null, $"{field} must be OK or ERROR.");
                    }

                    status = parsed;
                    break;
                case "startDate" or "endDate":
                    if (value.ValueKind != JsonValueKind.String
                        || !DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
                    {
                        return (null, $"{field} must be an ISO 8601 timestamp.");
                    }

                    if (property.Name == "startDate")
                    {
                        from = date;
                    }
                    else
                    {
                        to = date;
                    }

                    break;
                case "limit":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out limit) || limit < 1 || limit > SweepFilter.MaxTraces)
                    {
                        return (null, $"{field} must be a whole number from 1 to {SweepFilter.MaxTraces}.");
                    }

                    break;
                default:
                    return (null, $"unknown field '{field}': expected traceIds, or name, tags, status, startDate, endDate and limit.");
            }
        }

        if (ids is not null && (tags is not null || name is not null || status is not null || from is not null || to is not null))
        {
            return (null, "filter.traceIds cannot be combined with name, tags, status, startDate or endDate.");
        }

        return (new SweepFilter(ids, name, tags, status, from, to, ids?.Count ?? limit), null);
    }
}
