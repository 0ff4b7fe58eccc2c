using System.Globalization;
using System.Text.Json;
using TraceReplay.Api.Apis;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;

namespace TraceReplay.Api.Ingestion;

/// <summary>A validated ingestion batch: per trace, its header (if the batch had one) and spans.</summary>
public sealed record ParsedBatch(IReadOnlyDictionary<string, TraceIngest> Traces, int Accepted);

/// <summary>
/// The rules of 2Signal's ingestion batch (<see cref="IngestBatchRequest"/>, bound by System.Text.Json) and its
/// mapping to what the trace grains ingest. The batch is checked as a whole before anything is stored: one bad event
/// rejects it with an error naming the field (e.g. <c>batch[3].body.type</c>), so a failed request changes nothing.
/// </summary>
public static class BatchParser
{
    public const int MaxNameLength = 1000;
    public const int MaxTags = 100;
    public const int MaxTagLength = 200;
    public const int MaxModelLength = 200;

    public const string TraceCreate = "trace-create";
    public const string SpanCreate = "span-create";

    /// <summary>Timestamps before this are refused as out of range.</summary>
    public static readonly DateTimeOffset EarliestTime = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Timestamps after this are refused as out of range.</summary>
    public static readonly DateTimeOffset LatestTime = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first problem of <paramref name="request"/>, naming its field; null when the batch can be stored.</summary>
    public static string? Check(IngestBatchRequest request)
    {
        if (request.Batch is null)
        {
            return "batch is required: send {\"batch\": [events]}.";
        }

        if (request.Batch.Count == 0)
        {
            return "batch must be a non-empty array of events.";
        }

        var traces = new HashSet<string>(StringComparer.Ordinal);
        // Per trace, the parent of every span with an id of its own (a generated id is on no cycle and never repeats).
        var parents = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        for (var index = 0; index < request.Batch.Count; index++)
        {
            var at = $"batch[{index}]";
            var item = request.Batch[index];
            if (item is null)
            {
                return $"{at} must be an object.";
            }

            if (item.Type is not (TraceCreate or SpanCreate))
            {
                return $"{at}.type must be '{TraceCreate}' or '{SpanCreate}'; got '{item.Type}'.";
            }

            if (item.Body is not { } body)
            {
                return $"{at}.body is required and must be an object.";
            }

            if (Time(item.Timestamp, $"{at}.timestamp", out _) is { } badTime)
            {
                return badTime;
            }

            at += ".body";
            if (item.Type == TraceCreate)
            {
                if (CheckTrace(body, at) is { } error)
                {
                    return error;
                }

                if (!traces.Add(body.Id!))
                {
                    return $"{at}.id: trace '{body.Id}' has two trace-create events in this batch.";
                }

                continue;
            }

            if (CheckSpan(body, at) is { } spanError)
            {
                return spanError;
            }

            if (body.Id is null)
            {
                continue;
            }

            if (!parents.TryGetValue(body.TraceId!, out var spans))
            {
                parents[body.TraceId!] = spans = new Dictionary<string, string?>(StringComparer.Ordinal);
            }

            if (!spans.TryAdd(body.Id, body.ParentSpanId))
            {
                return $"{at}.id: span '{body.Id}' of trace '{body.TraceId}' appears twice in this batch.";
            }
        }

        foreach (var (traceId, spans) in parents)
        {
            if (SpanCycles.Find(spans) is { } cycle)
            {
                return $"the spans of trace '{traceId}' have a parent cycle through span '{cycle}'.";
            }
        }

        return null;
    }

    /// <summary>The traces of a batch <see cref="Check"/> found valid; events without a timestamp take <paramref name="now"/>.</summary>
    public static ParsedBatch ToBatch(IngestBatchRequest request, DateTimeOffset now)
    {
        var headers = new Dictionary<string, TraceHeader>(StringComparer.Ordinal);
        var spans = new Dictionary<string, List<SpanData>>(StringComparer.Ordinal);
        foreach (var item in request.Batch!)
        {
            var body = item!.Body!;
            if (item.Type == TraceCreate)
            {
                Time(item.Timestamp, "timestamp", out var timestamp);
                headers[body.Id!] = new TraceHeader(body.Name!, Raw(body.Metadata), [.. (body.Tags ?? []).OfType<string>().Distinct(StringComparer.Ordinal)], timestamp ?? now);
                continue;
            }

            if (!spans.TryGetValue(body.TraceId!, out var traceSpans))
            {
                spans[body.TraceId!] = traceSpans = [];
            }

            traceSpans.Add(ToSpan(body));
        }

        var traces = headers.Keys.Union(spans.Keys).ToDictionary(
            id => id,
            id => new TraceIngest(headers.GetValueOrDefault(id), spans.TryGetValue(id, out var s) ? s : []),
            StringComparer.Ordinal);
        return new ParsedBatch(traces, request.Batch!.Count);
    }

    private static string? CheckTrace(IngestEventBody body, string at)
    {
        var error = Required(body.Id, $"{at}.id") ?? TextRules.CheckId($"{at}.id", body.Id)
            ?? Required(body.Name, $"{at}.name") ?? TextRules.Check($"{at}.name", body.Name, MaxNameLength)
            ?? Object(body.Metadata, $"{at}.metadata");
        if (error is not null || body.Tags is not { } tags)
        {
            return error;
        }

        return tags.Count > MaxTags
            ? $"{at}.tags may hold at most {MaxTags} tags."
            : tags.Select(t => t is null ? $"{at}.tags must be an array of strings." : TextRules.Check($"{at}.tags", t, MaxTagLength))
                .FirstOrDefault(e => e is not null);
    }

    private static string? CheckSpan(IngestEventBody body, string at)
    {
        var error = Required(body.TraceId, $"{at}.trace_id") ?? TextRules.CheckId($"{at}.trace_id", body.TraceId)
            ?? (body.Id is null ? null : TextRules.CheckId($"{at}.id", body.Id))
            ?? Required(body.Name, $"{at}.name") ?? TextRules.Check($"{at}.name", body.Name, MaxNameLength)
            ?? Required(body.Type, $"{at}.type");
        if (error is not null)
        {
            return error;
        }

        if (SpanTypeOf(body.Type!) is null)
        {
            return $"{at}.type must be one of AGENT, LLM, TOOL, RETRIEVAL, CHAIN, CUSTOM; got '{body.Type}'.";
        }

        error = TextRules.CheckId($"{at}.parent_span_id", body.ParentSpanId, required: false)
            ?? Time(body.StartTime, $"{at}.start_time", out var start)
            ?? Time(body.EndTime, $"{at}.end_time", out var end)
            ?? (start is not null && end < start ? $"{at}.end_time must not be before start_time." : null)
            ?? TextRules.Check($"{at}.model", body.Model, MaxModelLength, required: false)
            ?? Object(body.ModelParameters, $"{at}.model_parameters")
            ?? Tokens(body.Usage?.PromptTokens is null ? body.Usage?.InputTokens : body.Usage.PromptTokens,
                $"{at}.usage.{(body.Usage?.PromptTokens is null ? "input_tokens" : "prompt_tokens")}")
            ?? Tokens(body.Usage?.CompletionTokens is null ? body.Usage?.OutputTokens : body.Usage.CompletionTokens,
                $"{at}.usage.{(body.Usage?.CompletionTokens is null ? "output_tokens" : "completion_tokens")}")
            ?? (body.Cost < 0 ? $"{at}.cost must not be negative." : null)
            ?? (StatusOf(body.Status) is null ? $"{at}.status must be OK or ERROR; got '{body.Status}'." : null)
            ?? Object(body.Metadata, $"{at}.metadata")
            ?? TextRules.CheckId($"{at}.prompt_template_version_id", body.PromptTemplateVersionId, required: false)
            ?? Object(body.PromptVariables, $"{at}.prompt_variables");
        if (error is not null)
        {
            return error;
        }

        if (body.PromptMessageIndex is { } messageIndex && (messageIndex < 0 || messageIndex > int.MaxValue || messageIndex != decimal.Floor(messageIndex)))
        {
            return $"{at}.prompt_message_index must be a whole number of at least 0.";
        }

        return Unreadable(body.Input, $"{at}.input") ?? Unreadable(body.Output, $"{at}.output");
    }

    private static SpanData ToSpan(IngestEventBody body)
    {
        Time(body.StartTime, "start_time", out var start);
        Time(body.EndTime, "end_time", out var end);
        return new SpanData(
            body.Id ?? Guid.NewGuid().ToString("N"), body.ParentSpanId, body.Name!, SpanTypeOf(body.Type!)!.Value, start, end,
            Raw(body.Input), Raw(body.Output), body.Model, Raw(body.ModelParameters),
            (int?)(body.Usage?.PromptTokens ?? body.Usage?.InputTokens), (int?)(body.Usage?.CompletionTokens ?? body.Usage?.OutputTokens),
            body.Cost, StatusOf(body.Status)!.Value, Raw(body.Metadata), body.PromptTemplateVersionId, Raw(body.PromptVariables),
            (int?)body.PromptMessageIndex);
    }

    private static SpanType? SpanTypeOf(string text) =>
        Enum.TryParse<SpanType>(text, ignoreCase: true, out var type) && Enum.IsDefined(type) && !int.TryParse(text, out _) ? type : null;

    private static SpanStatus? StatusOf(string? text) => text?.ToUpperInvariant() switch
    {
        null or "OK" => SpanStatus.Ok,
        "ERROR" => SpanStatus.Error,
        _ => null,
    };

    private static string? Required(string? value, string field) => string.IsNullOrWhiteSpace(value) ? $"{field} is required." : null;

    private static string? Tokens(decimal? value, string field) =>
        value is { } count && (count < 0 || count > int.MaxValue || count != decimal.Floor(count)) ? $"{field} must be a whole number of at least 0." : null;

    private static string? Object(JsonElement? value, string field) => value switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: not JsonValueKind.Object } => $"{field} must be an object.",
        { } element => Unreadable(element, field),
    };

    private static string? Unreadable(JsonElement? value, string field) =>
        value is { } element && RequestBody.FindUnreadableString(element) is not null
            ? $"{field} has a string or property name that is not valid Unicode (a lone surrogate escape)."
            : null;

    private static string? Time(string? text, string field, out DateTimeOffset? time)
    {
        time = null;
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return $"{field} must be an ISO 8601 timestamp; got '{text}'.";
        }

        if (parsed < EarliestTime || parsed >= LatestTime)
        {
            return $"{field} must be between {EarliestTime:yyyy} and {LatestTime:yyyy}; got '{text}'.";
        }

        time = parsed;
        return null;
    }

    private static string? Raw(JsonElement? value) => value is { ValueKind: not JsonValueKind.Null } element ? element.GetRawText() : null;
}

/// <summary>Finds a cycle in spans' parent links (a span that is its own ancestor).</summary>
public static class SpanCycles
{
    /// <summary>The id of a span on a parent cycle of <paramref name="parents"/> (span id → its parent's), or null when they form a forest.</summary>
    public static string? Find(IReadOnlyDictionary<string, string?> parents)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in parents.Keys)
        {
            var path = new HashSet<string>(StringComparer.Ordinal);
            for (var id = start; id is not null && !done.Contains(id); id = parents.GetValueOrDefault(id))
            {
                if (!path.Add(id))
                {
                    return id;
                }
            }

            done.UnionWith(path);
        }

        return null;
    }
}
