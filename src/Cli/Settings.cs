using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console.Cli;

namespace TraceReplay.Cli;

/// <summary>Where the API is and the key to use.</summary>
public class ApiSettings : CommandSettings
{
    [CommandOption("--api-url <URL>")]
    [Description("API base URL (default: $TRACEREPLAY_URL, else http://localhost:5080)")]
    public string? ApiUrl { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("API key (default: $TRACEREPLAY_API_KEY)")]
    public string? ApiKey { get; init; }
}

/// <summary>A sweep's selection and overrides, shared by <c>sweep</c> and <c>estimate</c>.</summary>
public class SweepRequestSettings : ApiSettings
{
    [CommandOption("-f|--filter <FILTER>")]
    [Description("Repeatable: tag=X, tags=X,Y, name=X, status=OK|ERROR, trace=ID, since=DATE, until=DATE, limit=N")]
    public string[] Filters { get; init; } = [];

    [CommandOption("-m|--model <MODEL>")]
    [Description("Replay every LLM span with this model")]
    public string? Model { get; init; }

    [CommandOption("--prompt-version <ID>")]
    [Description("Re-render with this prompt template version")]
    public string? PromptVersion { get; init; }

    [CommandOption("-p|--param <KEY=JSON>")]
    [Description("Repeatable model parameter override, e.g. temperature=0")]
    public string[] Parameters { get; init; } = [];

    [CommandOption("--budget <USD>")]
    [Description("Stop before the spend would pass this many US dollars")]
    public decimal? Budget { get; init; }

    [CommandOption("--mode <MODE>")]
    [Description("isolated (default) or chained: re-run each agent's LLM steps in order on the replayed history")]
    public string? Mode { get; init; }

    [CommandOption("--tool-matching <STRATEGY>")]
    [Description("Chained only: strict (default, same tool and arguments) or fifo (next recorded result of the tool)")]
    public string? ToolMatching { get; init; }

    /// <summary>The request body of <c>POST /sweeps</c> and <c>/sweeps/estimate</c>, or the argument error.</summary>
    public virtual (JsonObject? Body, string? Error) ToBody()
    {
        var filter = new JsonObject();
        var tags = new JsonArray();
        var traceIds = new JsonArray();
        foreach (var item in Filters)
        {
            var equals = item.IndexOf('=');
            if (equals <= 0)
            {
                return (null, $"--filter '{item}' must be key=value, e.g. tag=production.");
            }

            var (key, value) = (item[..equals].Trim().ToLowerInvariant(), item[(equals + 1)..].Trim());
            switch (key)
            {
                case "tag" or "tags":
                    foreach (var tag in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        tags.Add(tag);
                    }

                    break;
                case "trace" or "traceid" or "traceids":
                    foreach (var id in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        traceIds.Add(id);
                    }

                    break;
                case "name" or "status":
                    filter[key] = value;
                    break;
                case "since" or "startdate":
                    filter["startDate"] = value;
                    break;
                case "until" or "enddate":
                    filter["endDate"] = value;
                    break;
                case "limit" when int.TryParse(value, CultureInfo.InvariantCulture, out var limit):
                    filter["limit"] = limit;
                    break;
                default:
                    return (null, $"--filter '{item}': unknown key '{key}'; use tag, name, status, trace, since, until or limit.");
            }
        }

        if (tags.Count > 0)
        {
            filter["tags"] = tags;
        }

        if (traceIds.Count > 0)
        {
            filter["traceIds"] = traceIds;
        }

        var overrides = new JsonObject();
        if (Model is not null)
        {
            overrides["model"] = Model;
        }

        if (PromptVersion is not null)
        {
            overrides["promptTemplateVersionId"] = PromptVersion;
        }

        if (Parameters.Length > 0)
        {
            var parameters = new JsonObject();
            foreach (var item in Parameters)
            {
                var equals = item.IndexOf('=');
                if (equals <= 0)
                {
                    return (null, $"--param '{item}' must be key=value, e.g. temperature=0.");
                }

                var raw = item[(equals + 1)..];
                JsonNode? value;
                try
                {
                    value = JsonNode.Parse(raw);
                }
                catch (System.Text.Json.JsonException)
                {
                    value = JsonValue.Create(raw);
                }

                parameters[item[..equals]] = value;
            }

            overrides["modelParameters"] = parameters;
        }

        var body = new JsonObject { ["filter"] = filter, ["overrides"] = overrides };
        if (Budget is { } budget)
        {
            body["budgetUsd"] = budget;
        }

        if (Mode is not null)
        {
            body["mode"] = Mode;
        }

        if (ToolMatching is not null)
        {
            body["toolMatching"] = ToolMatching;
        }

        return (body, null);
    }
}

public sealed class SweepSettings : SweepRequestSettings
{
    [CommandOption("--name <NAME>")]
    [Description("A name for the sweep")]
    public string? Name { get; init; }

    [CommandOption("--max-in-flight <N>")]
    [Description("Replays running at once (default: the cluster's LLM pool size)")]
    public int? MaxInFlight { get; init; }

    [CommandOption("--threshold <DROP>")]
    [Description("A trace regressed when a score dropped by at least this much (default 0.1)")]
    public double? Threshold { get; init; }

    [CommandOption("--baseline <SWEEP_ID>")]
    [Description("A sweep without overrides that measured run-to-run noise")]
    public string? Baseline { get; init; }

    [CommandOption("--fail-on-regression")]
    [Description("Exit with code 2 when an evaluator's verdict is REGRESSED")]
    public bool FailOnRegression { get; init; }

    [CommandOption("-o|--output <FILE>")]
    [Description("Write the results: CSV, or JSON when the file name ends in .json")]
    public string? Output { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("text (default: tables on a terminal, one plain line per item otherwise) or json (the results document only)")]
    public string? Format { get; init; }

    [CommandOption("--score-originals")]
    [Description("Score each original with the enabled evaluators it has no score from before replaying it")]
    public bool ScoreOriginals { get; init; }

    public override (JsonObject? Body, string? Error) ToBody()
    {
        var (body, error) = base.ToBody();
        if (body is null)
        {
            return (null, error);
        }

        if (Format is not (null or "text" or "json"))
        {
            return (null, $"--format '{Format}': use text or json.");
        }

        if (ScoreOriginals)
        {
            body["scoreOriginals"] = true;
        }

        if (Name is not null)
        {
            body["name"] = Name;
        }

        if (MaxInFlight is { } window)
        {
            body["maxInFlight"] = window;
        }

        if (Threshold is { } threshold)
        {
            body["regressionThreshold"] = threshold;
        }

        if (Baseline is not null)
        {
            body["baselineSweepId"] = Baseline;
        }

        return (body, null);
    }
}

public sealed class SweepIdSettings : ApiSettings
{
    [CommandArgument(0, "<SWEEP_ID>")]
    [Description("The sweep's id (swp_...)")]
    public string SweepId { get; init; } = "";
}
