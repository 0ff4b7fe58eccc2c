using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Validation;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Api.Ingestion;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;

namespace TraceReplay.Api.Apis;

// The JSON request bodies, as the OpenAPI document describes them: bound by System.Text.Json and validated by the
// platform (IValidatableObject; see RequestBinding), so the document and the rules cannot drift apart. Only OTLP's
// bodies (JSON or protobuf) are read by their handler.

/// <summary>
/// The body of <c>POST /api/v1/traces</c>: 2Signal's ingestion batch, <c>{"batch": [events]}</c>. Fields it does not
/// know are ignored, as 2Signal's SDKs send more than TraceReplay keeps.
/// </summary>
/// <remarks>
/// The one body the platform binds but does not validate (the endpoint's <c>DisableValidation</c>): its handler refuses
/// a batch over the event limit, then <see cref="BatchParser.Check"/> checks every event. The platform's walk read each
/// of up to 1,000 events' properties by reflection, found nothing that check does not, and was about half of the
/// endpoint's CPU under P3's load; <c>[SkipValidation]</c> on a record's property or type does not stop it (.NET 10).
/// </remarks>
[Description("send {\"batch\": [events]}")]
public sealed record IngestBatchRequest(IReadOnlyList<IngestEvent?>? Batch);

/// <summary>
/// One event of the batch: <c>type</c> is <c>trace-create</c> or <c>span-create</c>; <c>timestamp</c> (ISO 8601, UTC
/// when it names no offset) defaults to the time of the request.
/// </summary>
public sealed record IngestEvent(string? Type, string? Timestamp, IngestEventBody? Body);

/// <summary>
/// The body of an event. <c>trace-create</c>: id, name, metadata?, tags?. <c>span-create</c>: trace_id, id? (generated
/// when absent), parent_span_id?, name, type (AGENT, LLM, TOOL, RETRIEVAL, CHAIN or CUSTOM), start_time?, end_time?,
/// input?, output? (any JSON), model?, model_parameters?, usage?, cost?, status? (OK or ERROR), metadata?,
/// prompt_template_version_id?, prompt_variables?, prompt_message_index?.
/// </summary>
[JsonNumberHandling(JsonNumberHandling.Strict)] // Numbers are JSON numbers here, as they always were ("cost": "1" is refused).
public sealed record IngestEventBody(
    string? Id,
    string? Name,
    JsonElement? Metadata,
    IReadOnlyList<string?>? Tags,
    [property: JsonPropertyName("trace_id")] string? TraceId,
    [property: JsonPropertyName("parent_span_id")] string? ParentSpanId,
    string? Type,
    [property: JsonPropertyName("start_time")] string? StartTime,
    [property: JsonPropertyName("end_time")] string? EndTime,
    JsonElement? Input,
    JsonElement? Output,
    string? Model,
    [property: JsonPropertyName("model_parameters")] JsonElement? ModelParameters,
    IngestUsage? Usage,
    decimal? Cost,
    string? Status,
    [property: JsonPropertyName("prompt_template_version_id")] string? PromptTemplateVersionId,
    [property: JsonPropertyName("prompt_variables")] JsonElement? PromptVariables,
    [property: JsonPropertyName("prompt_message_index")] decimal? PromptMessageIndex);

/// <summary>A span's token usage, in OpenAI's names or Anthropic's (<c>input_tokens</c>, <c>output_tokens</c>).</summary>
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record IngestUsage(
    [property: JsonPropertyName("prompt_tokens")] decimal? PromptTokens,
    [property: JsonPropertyName("completion_tokens")] decimal? CompletionTokens,
    [property: JsonPropertyName("input_tokens")] decimal? InputTokens,
    [property: JsonPropertyName("output_tokens")] decimal? OutputTokens);

/// <summary>The body of <c>POST /api/v1/traces/{traceId}/replays</c>: the overrides, every one optional.</summary>
public sealed record StartReplayRequest(
    string? Model, string? PromptTemplateVersionId, JsonElement? ModelParameters, string? Mode, string? ToolMatching) : IValidatableObject
{
    /// <summary>Fields the record does not know; refused, naming them.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BodyRules.Unknown(UnknownFields, "model, promptTemplateVersionId, modelParameters, mode or toolMatching") is { } unknown)
        {
            yield return unknown;
        }

        if (Model is not null && string.IsNullOrWhiteSpace(Model))
        {
            yield return BodyRules.Error("model", "must not be blank.");
        }
        else if (TextRules.Check("model", Model, BatchParser.MaxModelLength, required: false) is { } invalid)
        {
            yield return BodyRules.Error("model", invalid);
        }

        // A JSON element, not a JsonObject: the platform's validation would walk an object's members as a collection.
        if (ModelParameters is { } parameters && parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            yield return BodyRules.Error("modelParameters", "must be a JSON object.");
        }
        else if (ModelParameters is { } readable && RequestBody.FindUnreadableString(readable) is not null)
        {
            yield return BodyRules.Error("modelParameters", "has a string or property name that is not valid Unicode (a lone surrogate escape).");
        }

        if (TextRules.CheckId("promptTemplateVersionId", PromptTemplateVersionId, required: false) is { } invalidVersion)
        {
            yield return BodyRules.Error("promptTemplateVersionId", invalidVersion);
        }

        if (Mode is not null && !BodyRules.TryParseName<ReplayMode>(Mode, out _))
        {
            yield return BodyRules.Error("mode", "must be \"isolated\" or \"chained\".");
        }

        if (ToolMatching is not null && !BodyRules.TryParseName<ToolMatching>(ToolMatching, out _))
        {
            yield return BodyRules.Error("toolMatching", "must be \"strict\" or \"fifo\".");
        }
    }

    /// <summary>The overrides a replay runs with; call once the record is valid.</summary>
    public ReplayOverrides ToOverrides() => new(
        Model, PromptTemplateVersionId, ModelParameters is { ValueKind: JsonValueKind.Object } parameters ? parameters.GetRawText() : null,
        Mode is null ? ReplayMode.Isolated : BodyRules.ParseName<ReplayMode>(Mode),
        ToolMatching is null ? Grains.ToolMatching.Strict : BodyRules.ParseName<ToolMatching>(ToolMatching));
}

/// <summary>The body of <c>POST /api/v1/evaluators</c>: name and type required, config a JSON object (<c>{}</c> when absent), enabled by default.</summary>
public sealed record CreateEvaluatorRequest(string? Name, string? Type, JsonElement Config, bool? Enabled) : IValidatableObject
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    /// <summary>The config as stored; null when the body has none.</summary>
    public string? ConfigJson => Config.ValueKind == JsonValueKind.Object ? Config.GetRawText() : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BodyRules.Unknown(UnknownFields, "name, type, config or enabled") is { } unknown)
        {
            yield return unknown;
        }

        if (Name is null)
        {
            yield return BodyRules.Error("name", "is required.");
        }

        if (Type is null)
        {
            yield return BodyRules.Error("type", "is required.");
        }

        if (BodyRules.Config(Config) is { } config)
        {
            yield return config;
        }
    }
}

/// <summary>The body of <c>PATCH /api/v1/evaluators/{evaluatorId}</c>: what changes; the type cannot (it may be sent unchanged).</summary>
public sealed record UpdateEvaluatorRequest(string? Name, JsonElement Config, bool? Enabled, string? Type) : IValidatableObject
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    /// <summary>The new config; null when the body has none.</summary>
    public string? ConfigJson => Config.ValueKind == JsonValueKind.Object ? Config.GetRawText() : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BodyRules.Unknown(UnknownFields, "name, config or enabled") is { } unknown)
        {
            yield return unknown;
        }

        if (BodyRules.Config(Config) is { } config)
        {
            yield return config;
        }
    }
}

/// <summary>
/// The body of <c>POST /api/v1/scores</c> (2Signal's): traceId, spanId?, evaluatorName, value (0 to 1), label?,
/// reasoning?; <c>name</c> and <c>score</c> are accepted for evaluatorName and value.
/// </summary>
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record CreateScoreRequest(
    string? TraceId, string? SpanId, string? EvaluatorName, double? Value, string? Label, string? Reasoning, string? Name = null, double? Score = null)
    : IValidatableObject
{
    public const int MaxNameLength = 200;

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    /// <summary>The score's name, under either spelling.</summary>
    public string? ScoreName => EvaluatorName ?? Name;

    /// <summary>The score's value, under either spelling.</summary>
    public double? ScoreValue => Value ?? Score;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BodyRules.Unknown(UnknownFields, "traceId, spanId, evaluatorName, value, label or reasoning") is { } unknown)
        {
            yield return unknown;
        }

        if (TextRules.CheckId("traceId", TraceId) is { } traceId)
        {
            yield return BodyRules.Error("traceId", traceId);
        }

        if (TextRules.CheckId("spanId", SpanId, required: false) is { } spanId)
        {
            yield return BodyRules.Error("spanId", spanId);
        }

        if (TextRules.Check("evaluatorName", ScoreName, MaxNameLength) is { } name)
        {
            yield return BodyRules.Error("evaluatorName", name);
        }

        if (TextRules.Check("label", Label, MaxNameLength, required: false) is { } label)
        {
            yield return BodyRules.Error("label", label);
        }

        if (Reasoning?.Length > TraceScore.MaxReasoningLength)
        {
            yield return BodyRules.Error("reasoning", $"must be at most {TraceScore.MaxReasoningLength} characters.");
        }

        if (ScoreValue is not (>= 0 and <= 1))
        {
            yield return BodyRules.Error("value", "is required: a number from 0 to 1.");
        }
    }
}

/// <summary>The body of <c>POST /api/v1/prompt-templates</c>: a template's name and mustache content, with optional declared variables, description and commit message.</summary>
public sealed record CreatePromptTemplateRequest(
    string? Name, string? Content, IReadOnlyList<string>? Variables, string? Description, string? CommitMessage) : IValidatableObject
{
    /// <summary>What is wrong with a template name, relative to the field ("is required"); null when it is fine.</summary>
    public static string? CheckName(string? name) => name switch
    {
        null => "is required",
        _ when string.IsNullOrWhiteSpace(name) => "must not be blank",
        _ when name.Length > PromptTemplatesApi.MaxNameLength => $"must be at most {PromptTemplatesApi.MaxNameLength} characters",
        _ when name != name.Trim() => "must not start or end with whitespace",
        _ when name.Any(char.IsControl) => "must not contain control characters",
        _ => null,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CheckName(Name) is { } name)
        {
            yield return BodyRules.Error("name", name);
        }

        if (Content is null)
        {
            yield return BodyRules.Error("content", "is required");
        }
        else if (Content.Length > PromptTemplatesApi.MaxContentLength)
        {
            yield return BodyRules.Error("content", $"must be at most {PromptTemplatesApi.MaxContentLength} characters");
        }

        if (Variables?.Select(v => TextRules.Check("variables", v, PromptTemplatesApi.MaxNameLength)).FirstOrDefault(e => e is not null) is { } variable)
        {
            yield return BodyRules.Error("variables", variable);
        }
    }
}

/// <summary>The body of <c>POST /api/v1/projects</c>: <c>{"name": "..."}</c>.</summary>
public sealed record CreateProjectRequest(string? Name) : IValidatableObject
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        BodyRules.NameOnly(UnknownFields, Name, required: true);
}

/// <summary>The body of <c>POST /api/v1/projects/{projectId}/keys</c>: <c>{"name": "..."}</c>, optional (the key is named "key").</summary>
public sealed record CreateApiKeyRequest(string? Name) : IValidatableObject
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        BodyRules.NameOnly(UnknownFields, Name, required: false);
}

/// <summary>Which traces a sweep replays: explicit ids, or catalog filters.</summary>
public sealed record SweepFilterRequest(
    IReadOnlyList<string>? TraceIds, string? Name, [property: JsonConverter(typeof(TagListConverter))] IReadOnlyList<string>? Tags, string? Status,
    DateTimeOffset? StartDate, DateTimeOffset? EndDate, int? Limit) : IValidatableObject
{
    /// <summary>How many traces a filter without <c>limit</c> selects.</summary>
    public const int DefaultLimit = 1_000;

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BodyRules.Unknown(UnknownFields, "traceIds, or name, tags, status, startDate, endDate and limit") is { } unknown)
        {
            yield return unknown;
        }

        if (TraceIds is not null && (TraceIds.Count is 0 or > SweepFilter.MaxTraces || TraceIds.Any(id => TextRules.CheckId("id", id) is not null)))
        {
            yield return BodyRules.Error("traceIds", $"must be an array of 1 to {SweepFilter.MaxTraces} trace ids.");
        }

        if (Status is not null && !BodyRules.TryParseName<SpanStatus>(Status, out _))
        {
            yield return BodyRules.Error("status", "must be OK or ERROR.");
        }

        if (Limit is < 1 or > SweepFilter.MaxTraces)
        {
            yield return BodyRules.Error("limit", $"must be a whole number from 1 to {SweepFilter.MaxTraces}.");
        }

        if (TraceIds is not null && (Tags is not null || Name is not null || Status is not null || StartDate is not null || EndDate is not null))
        {
            yield return BodyRules.Error("traceIds", "cannot be combined with name, tags, status, startDate or endDate.");
        }
    }

    /// <summary>The filter the catalog runs; call once the record is valid.</summary>
    public SweepFilter ToFilter() => new(
        TraceIds, Name, Tags, Status is null ? null : BodyRules.ParseName<SpanStatus>(Status), StartDate, EndDate, TraceIds?.Count ?? Limit ?? DefaultLimit);

    /// <summary>What a backfill without a filter scores: the project's traces up to the default limit.</summary>
    public static SweepFilter Everything => new(null, null, null, null, null, null, DefaultLimit);
}

/// <summary>The body of <c>POST /api/v1/sweeps</c> and <c>POST /api/v1/sweeps/estimate</c>.</summary>
public sealed record StartSweepRequest(
    string? Name, SweepFilterRequest Filter, StartReplayRequest? Overrides, int? MaxInFlight, decimal? BudgetUsd,
    double? RegressionThreshold, string? BaselineSweepId, string? Mode, string? ToolMatching, bool? ScoreOriginals = null) : IValidatableObject
{
    public const int MaxNameLength = 200;
    public const double DefaultRegressionThreshold = 0.1;

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BodyRules.Unknown(UnknownFields,
                "name, filter, overrides, mode, toolMatching, maxInFlight, budgetUsd, regressionThreshold, baselineSweepId or scoreOriginals") is { } unknown)
        {
            yield return unknown;
        }

        if (Filter is null)
        {
            yield return new ValidationResult(
                "filter is required: {\"traceIds\": [...]} or {\"tags\": [...], \"name\", \"status\", \"startDate\", \"endDate\", \"limit\"}.");
        }

        if (TextRules.Check("name", Name, MaxNameLength, required: false) is { } invalidName)
        {
            yield return BodyRules.Error("name", invalidName);
        }

        if (TextRules.CheckId("baselineSweepId", BaselineSweepId, required: false) is { } invalidBaseline)
        {
            yield return BodyRules.Error("baselineSweepId", invalidBaseline);
        }

        var maxInFlightLimit = validationContext.GetService<IOptions<SweepOptions>>()?.Value.MaxInFlightLimit ?? new SweepOptions().MaxInFlightLimit;
        if (MaxInFlight < 1 || MaxInFlight > maxInFlightLimit)
        {
            yield return BodyRules.Error("maxInFlight", $"must be a whole number from 1 to {maxInFlightLimit}.");
        }

        if (BudgetUsd <= 0)
        {
            yield return BodyRules.Error("budgetUsd", "must be a positive number.");
        }

        if (RegressionThreshold is { } threshold && threshold is not (> 0 and <= 1))
        {
            yield return BodyRules.Error("regressionThreshold", "must be a number greater than 0 and at most 1.");
        }

        if (Mode is not null && !BodyRules.TryParseName<ReplayMode>(Mode, out _))
        {
            yield return BodyRules.Error("mode", "must be \"isolated\" or \"chained\".");
        }
        else if (Mode is not null && Overrides?.Mode is { } inner && BodyRules.TryParseName<ReplayMode>(inner, out var innerMode)
                 && innerMode != ReplayMode.Isolated && innerMode != BodyRules.ParseName<ReplayMode>(Mode))
        {
            // The top-level fields are the sweep's own spelling; inside overrides they are accepted too, but must not disagree.
            yield return BodyRules.Error("mode", "overrides.mode says otherwise; give it once.");
        }

        if (ToolMatching is not null && !BodyRules.TryParseName<ToolMatching>(ToolMatching, out _))
        {
            yield return BodyRules.Error("toolMatching", "must be \"strict\" or \"fifo\".");
        }
        else if (ToolMatching is not null && Overrides?.ToolMatching is { } inner && BodyRules.TryParseName<ToolMatching>(inner, out var innerMatching)
                 && innerMatching != Grains.ToolMatching.Strict && innerMatching != BodyRules.ParseName<ToolMatching>(ToolMatching))
        {
            yield return BodyRules.Error("toolMatching", "overrides.toolMatching says otherwise; give it once.");
        }
    }

    /// <summary>The sweep as the handlers use it; call once the record is valid.</summary>
    public SweepRequest ToRequest()
    {
        var overrides = Overrides?.ToOverrides() ?? ReplayOverrides.None;
        overrides = overrides with
        {
            Mode = Mode is null ? overrides.Mode : BodyRules.ParseName<ReplayMode>(Mode),
            ToolMatching = ToolMatching is null ? overrides.ToolMatching : BodyRules.ParseName<ToolMatching>(ToolMatching),
        };
        return new SweepRequest(
            Name, Filter.ToFilter(), overrides, MaxInFlight, BudgetUsd, RegressionThreshold ?? DefaultRegressionThreshold, BaselineSweepId,
            ScoreOriginals ?? false);
    }
}

/// <summary>The body of <c>POST /api/v1/evaluators/{id}/backfill</c>: which traces to score; all of the project's when absent.</summary>
public sealed record StartBackfillRequest(SweepFilterRequest? Filter, bool? IncludeReplays) : IValidatableObject
{
    /// <summary>The most traces one backfill scores: as many as a sweep (its trace ids reach its grain in pages).</summary>
    public const int MaxTraces = SweepFilter.MaxTraces;

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BodyRules.Unknown(UnknownFields, "filter or includeReplays") is { } unknown)
        {
            yield return unknown;
        }

        if (Filter?.TraceIds?.Count > MaxTraces)
        {
            yield return BodyRules.Error("filter.traceIds", $"a backfill scores at most {MaxTraces} traces.");
        }

        if (Filter?.Limit > MaxTraces)
        {
            yield return BodyRules.Error("filter.limit", $"a backfill scores at most {MaxTraces} traces.");
        }
    }
}

/// <summary>A parsed sweep request: what <c>POST /sweeps</c> and <c>POST /sweeps/estimate</c> take.</summary>
public sealed record SweepRequest(
    string? Name, SweepFilter Filter, ReplayOverrides Overrides, int? MaxInFlight, decimal? BudgetUsd, double RegressionThreshold,
    string? BaselineSweepId, bool ScoreOriginals = false);

/// <summary>What the request records share: errors that name their field, unknown fields refused, enum names read strictly.</summary>
internal static class BodyRules
{
    /// <summary>An error about <paramref name="field"/>; the message says what is wrong (with or without the field's name in front).</summary>
    public static ValidationResult Error(string field, string message) =>
        new(message.StartsWith(field, StringComparison.Ordinal) ? message[field.Length..].TrimStart() : message, [field]);

    /// <summary>An evaluator config: absent, or a JSON object whose strings are all readable.</summary>
    public static ValidationResult? Config(JsonElement config) => config.ValueKind switch
    {
        JsonValueKind.Undefined => null,
        JsonValueKind.Object when RequestBody.FindUnreadableString(config) is null => null,
        JsonValueKind.Object => Error("config", "has a string or property name that is not valid Unicode (a lone surrogate escape)."),
        _ => Error("config", "must be a JSON object."),
    };

    /// <summary>A body of one field, name (a project's or a key's).</summary>
    public static IEnumerable<ValidationResult> NameOnly(Dictionary<string, JsonElement>? fields, string? name, bool required)
    {
        if (Unknown(fields, "name") is { } unknown)
        {
            yield return unknown;
        }

        if (TextRules.Check("name", name, ProjectsApi.MaxNameLength, required) is { } invalid)
        {
            yield return Error("name", invalid);
        }
    }

    public static ValidationResult? Unknown(Dictionary<string, JsonElement>? fields, string expected) =>
        fields is { Count: > 0 } ? new ValidationResult($"is not a known field; expected {expected}.", [fields.Keys.First()]) : null;

    /// <summary>
    /// Whether the request sent a body; an optional body that binds to null was JSON <c>null</c>, which is not "no
    /// overrides" but a body of the wrong kind.
    /// </summary>
    public static bool HasBody(HttpRequest request) => request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;

    /// <summary>An enum member by name, any case; numbers are refused.</summary>
    public static bool TryParseName<T>(string text, out T parsed)
        where T : struct, Enum
    {
        parsed = default;
        return text is { Length: > 0 } && char.IsLetter(text[0]) && Enum.TryParse(text, ignoreCase: true, out parsed) && Enum.IsDefined(parsed);
    }

    public static T ParseName<T>(string text)
        where T : struct, Enum =>
        TryParseName<T>(text, out var parsed) ? parsed : throw new ArgumentException($"'{text}' is not a {typeof(T).Name}.", nameof(text));
}

/// <summary>Tags as an array of strings, or one comma-separated string (<c>"a,b"</c>) as the query string spells them.</summary>
public sealed class TagListConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return [.. reader.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        // Read here rather than by a nested Deserialize, so a failure is reported at this property's path.
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException();
        }

        var tags = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            tags.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException());
        }

        return tags;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}
