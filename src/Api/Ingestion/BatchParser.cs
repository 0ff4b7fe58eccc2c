using System.Globalization;
using System.Text.Json;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;

namespace TraceReplay.Api.Ingestion;

/// <summary>A validated ingestion batch: per trace, its header (if the batch had one) and spans.</summary>
public sealed record ParsedBatch(IReadOnlyDictionary<string, TraceIngest> Traces, int Accepted);

/// <summary>
/// Validates 2Signal's ingestion batch as a whole before anything is stored: one bad event rejects the batch with an
/// error naming the field (e.g. <c>batch[3].body.type</c>), so a failed request changes nothing.
/// </summary>
public static class BatchParser
{
    public const int MaxNameLength = 1000;
    public const int MaxTags = 100;
    public const int MaxTagLength = 200;
    public const int MaxModelLength = 200;

    /// <summary>Timestamps before this are refused as out of range.</summary>
    public static readonly DateTimeOffset EarliestTime = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Timestamps after this are refused as out of range.</summary>
    public static readonly DateTimeOffset LatestTime = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static (ParsedBatch? Batch, string? Error) Parse(JsonElement root, DateTimeOffset now)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("batch", out var batch))
        {
            return (null, "batch is required: send {\"batch\": [events]}.");
        }

        if (batch.ValueKind != JsonValueKind.Array || batch.GetArrayLength() == 0)
        {
            return (null, "batch must be a non-empty array of events.");
        }

        var headers = new Dictionary<string, TraceHeader>(StringComparer.Ordinal);
        var spans = new Dictionary<string, Dictionary<string, SpanData>>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in batch.EnumerateArray())
        {
            var at = $"batch[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{at} must be an object.");
            }

            var type = OptionalString(item, "type", at, out var error);
            if (error is not null)
            {
                return (null, error);
            }

            if (!item.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{at}.body is required and must be an object.");
            }

            var timestamp = OptionalTime(item, "timestamp", at, out error) ?? now;
            if (error is not null)
            {
                return (null, error);
            }

            switch (type)
            {
                case "trace-create":
                    var header = ParseTrace(body, $"{at}.body", timestamp, out var traceId, out error);
                    if (error is not null)
                    {
                        return (null, error);
                    }

                    if (!headers.TryAdd(traceId!, header!))
                    {
                        return (null, $"{at}.body.id: trace '{traceId}' has two trace-create events in this batch.");
                    }

                    break;
                case "span-create":
                    var span = ParseSpan(body, $"{at}.body", out var spanTraceId, out error);
                    if (error is not null)
                    {
                        return (null, error);
                    }

                    if (!spans.TryGetValue(spanTraceId!, out var traceSpans))
                    {
                        spans[spanTraceId!] = traceSpans = new Dictionary<string, SpanData>(StringComparer.Ordinal);
                    }

                    if (!traceSpans.TryAdd(span!.Id, span))
                    {
                        return (null, $"{at}.body.id: span '{span.Id}' of trace '{spanTraceId}' appears twice in this batch.");
                    }

                    break;
                default:
                    return (null, $"{at}.type must be 'trace-create' or 'span-create'; got '{type}'.");
            }
        }

        foreach (var (traceId, traceSpans) in spans)
        {
            if (SpanCycles.Find(traceSpans.Values) is { } cycle)
            {
                return (null, $"the spans of trace '{traceId}' have a parent cycle through span '{cycle}'.");
            }
        }

        var traces = headers.Keys.Union(spans.Keys).ToDictionary(
            id => id,
            id => new TraceIngest(headers.GetValueOrDefault(id), spans.TryGetValue(id, out var s) ? [.. s.Values] : []),
            StringComparer.Ordinal);
        return (new ParsedBatch(traces, index), null);
    }

    private static TraceHeader? ParseTrace(JsonElement body, string at, DateTimeOffset timestamp, out string? id, out string? error)
    {
        id = RequiredString(body, "id", at, out error);
        error ??= TextRules.CheckId($"{at}.id", id);
        var name = error is null ? RequiredString(body, "name", at, out error) : null;
        error ??= TextRules.Check($"{at}.name", name, MaxNameLength);
        var metadata = error is null ? OptionalObject(body, "metadata", at, out error) : null;
        var tags = error is null ? OptionalStrings(body, "tags", at, out error) : null;
        if (error is null && tags is not null)
        {
            error = tags.Count > MaxTags
                ? $"{at}.tags may hold at most {MaxTags} tags."
                : tags.Select(t => TextRules.Check($"{at}.tags", t, MaxTagLength)).FirstOrDefault(e => e is not null);
        }

        return error is null ? new TraceHeader(name!, metadata, tags ?? [], timestamp) : null;
    }

    private static SpanData? ParseSpan(JsonElement body, string at, out string? traceId, out string? error)
    {
        traceId = RequiredString(body, "trace_id", at, out error);
        error ??= TextRules.CheckId($"{at}.trace_id", traceId);
        if (error is not null)
        {
            return null;
        }

        var id = OptionalString(body, "id", at, out error) ?? Guid.NewGuid().ToString("N");
        error ??= TextRules.CheckId($"{at}.id", id);
        var name = error is null ? RequiredString(body, "name", at, out error) : null;
        error ??= TextRules.Check($"{at}.name", name, MaxNameLength);
        var typeText = error is null ? RequiredString(body, "type", at, out error) : null;
        if (error is not null)
        {
            return null;
        }

        if (!Enum.TryParse<SpanType>(typeText, ignoreCase: true, out var type) || !Enum.IsDefined(type) || int.TryParse(typeText, out _))
        {
            error = $"{at}.type must be one of AGENT, LLM, TOOL, RETRIEVAL, CHAIN, CUSTOM; got '{typeText}'.";
            return null;
        }

        var parent = OptionalString(body, "parent_span_id", at, out error);
        error ??= TextRules.CheckId($"{at}.parent_span_id", parent, required: false);
        var start = error is null ? OptionalTime(body, "start_time", at, out error) : null;
        var end = error is null ? OptionalTime(body, "end_time", at, out error) : null;
        if (error is null && start is not null && end is not null && end < start)
        {
            error = $"{at}.end_time must not be before start_time.";
        }

        var model = error is null ? OptionalString(body, "model", at, out error) : null;
        error ??= TextRules.Check($"{at}.model", model, MaxModelLength, required: false);
        var parameters = error is null ? OptionalObject(body, "model_parameters", at, out error) : null;
        var (promptTokens, completionTokens) = error is null ? ParseUsage(body, at, out error) : (null, null);
        var cost = error is null ? OptionalNumber(body, "cost", at, out error) : null;
        var statusText = error is null ? OptionalString(body, "status", at, out error) : null;
        var metadata = error is null ? OptionalObject(body, "metadata", at, out error) : null;
        var templateVersion = error is null ? OptionalString(body, "prompt_template_version_id", at, out error) : null;
        error ??= TextRules.CheckId($"{at}.prompt_template_version_id", templateVersion, required: false);
        var variables = error is null ? OptionalObject(body, "prompt_variables", at, out error) : null;
        var messageIndex = error is null ? OptionalNumber(body, "prompt_message_index", at, out error) : null;
        if (error is not null)
        {
            return null;
        }

        SpanStatus? status = statusText?.ToUpperInvariant() switch
        {
            null or "OK" => SpanStatus.Ok,
            "ERROR" => SpanStatus.Error,
            _ => null,
        };
        if (status is null)
        {
            error = $"{at}.status must be OK or ERROR; got '{statusText}'.";
            return null;
        }

        if (cost < 0)
        {
            error = $"{at}.cost must not be negative.";
            return null;
        }

        if (messageIndex is not null && (messageIndex < 0 || messageIndex != decimal.Floor(messageIndex.Value)))
        {
            error = $"{at}.prompt_message_index must be a whole number of at least 0.";
            return null;
        }

        return new SpanData(
            id, parent, name!, type, start, end, RawOrNull(body, "input"), RawOrNull(body, "output"), model, parameters,
            promptTokens, completionTokens, cost, status.Value, metadata, templateVersion, variables, (int?)messageIndex);
    }

    private static (int? Prompt, int? Completion) ParseUsage(JsonElement body, string at, out string? error)
    {
        error = null;
        if (!body.TryGetProperty("usage", out var usage) || usage.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        if (usage.ValueKind != JsonValueKind.Object)
        {
            error = $"{at}.usage must be an object.";
            return (null, null);
        }

        var prompt = Tokens(usage, "prompt_tokens", "input_tokens", $"{at}.usage", out error);
        var completion = error is null ? Tokens(usage, "completion_tokens", "output_tokens", $"{at}.usage", out error) : null;
        return (prompt, completion);
    }

    private static int? Tokens(JsonElement usage, string name, string alias, string at, out string? error)
    {
        var value = OptionalNumber(usage, name, at, out error);
        if (value is null && error is null)
        {
            // Name the field the client actually sent in any error below.
            name = alias;
            value = OptionalNumber(usage, alias, at, out error);
        }

        if (value is null || error is not null)
        {
            return null;
        }

        if (value < 0 || value > int.MaxValue || value != decimal.Floor(value.Value))
        {
            error = $"{at}.{name} must be a whole number of at least 0.";
            return null;
        }

        return (int)value;
    }

    private static string? RequiredString(JsonElement obj, string name, string at, out string? error)
    {
        var value = OptionalString(obj, name, at, out error);
        if (error is null && string.IsNullOrWhiteSpace(value))
        {
            error = $"{at}.{name} is required.";
        }

        return value;
    }

    private static string? OptionalString(JsonElement obj, string name, string at, out string? error)
    {
        error = null;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = $"{at}.{name} must be a string.";
            return null;
        }

        return value.GetString();
    }

    private static decimal? OptionalNumber(JsonElement obj, string name, string at, out string? error)
    {
        error = null;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number))
        {
            error = $"{at}.{name} must be a number.";
            return null;
        }

        return number;
    }

    private static DateTimeOffset? OptionalTime(JsonElement obj, string name, string at, out string? error)
    {
        var text = OptionalString(obj, name, at, out error);
        if (text is null || error is not null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            error = $"{at}.{name} must be an ISO 8601 timestamp; got '{text}'.";
            return null;
        }

        if (time < EarliestTime || time >= LatestTime)
        {
            error = $"{at}.{name} must be between {EarliestTime:yyyy} and {LatestTime:yyyy}; got '{text}'.";
            return null;
        }

        return time;
    }

    private static string? OptionalObject(JsonElement obj, string name, string at, out string? error)
    {
        error = null;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            error = $"{at}.{name} must be an object.";
            return null;
        }

        return value.GetRawText();
    }

    private static IReadOnlyList<string>? OptionalStrings(JsonElement obj, string name, string at, out string? error)
    {
        error = null;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            error = $"{at}.{name} must be an array of strings.";
            return null;
        }

        return [.. value.EnumerateArray().Select(v => v.GetString()!).Distinct(StringComparer.Ordinal)];
    }

    private static string? RawOrNull(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetRawText() : null;
}

/// <summary>Finds a cycle in spans' parent links (a span that is its own ancestor).</summary>
public static class SpanCycles
{
    /// <summary>The id of a span on a parent cycle, or null when the parent links form a forest.</summary>
    public static string? Find(IEnumerable<SpanData> spans)
    {
        var parents = spans.ToDictionary(s => s.Id, s => s.ParentSpanId, StringComparer.Ordinal);
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
