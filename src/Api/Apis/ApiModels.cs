using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Api.Apis;

public sealed record UsageDto(int? PromptTokens, int? CompletionTokens, int? TotalTokens);

public sealed record SpanDto(
    string Id, string TraceId, string? ParentSpanId, string Name, SpanType Type, DateTimeOffset? StartTime,
    DateTimeOffset? EndTime, double? DurationMs, JsonNode? Input, JsonNode? Output, string? Model,
    JsonNode? ModelParameters, UsageDto? Usage, decimal? Cost, SpanStatus Status, JsonNode? Metadata,
    string? PromptTemplateVersionId, JsonNode? PromptVariables, int? PromptMessageIndex, string? ReplayOfSpanId,
    bool Simulated,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NotReplayableReason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? OutputReplayed = null);

public sealed record LineageDto(string TraceId, string ReplayId);

/// <summary>A trace as lists show it (2Signal's fields), with spans on the detail endpoint only.</summary>
public sealed record TraceDto(
    string Id, string Name, SpanStatus Status, DateTimeOffset StartTime, DateTimeOffset? EndTime, double? DurationMs,
    decimal? TotalCost, long? TotalTokens, IReadOnlyList<string> Tags, JsonNode? Metadata, int SpanCount, int ScoreCount,
    DateTimeOffset CreatedAt, bool Simulated, LineageDto? ReplayOf,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SpanDto>? Spans = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? PromptTokens = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CompletionTokens = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EvaluationsDto? Evaluations = null,
    bool Pinned = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? PinnedBy = null);

/// <summary>A trace's pins: whether anything keeps it past retention, and what ("manual", "sweep:&lt;id&gt;").</summary>
public sealed record PinDto(string TraceId, bool Pinned, IReadOnlyList<string> PinnedBy);

/// <summary>Automatic scoring: NONE (no evaluator was enabled), PENDING or DONE, with counts.</summary>
public sealed record EvaluationsDto(string Status, int Total, int Done, int Pending)
{
    public static EvaluationsDto? From(EvaluationStatus? status) => status is null
        ? null
        : new(status.Total == 0 ? "NONE" : status.Pending.Count > 0 ? "PENDING" : "DONE", status.Total, status.Done, status.Pending.Count);
}

public sealed record TraceListDto(IReadOnlyList<TraceDto> Traces, string? NextCursor);

public sealed record OverridesDto(
    string? Model, string? PromptTemplateVersionId, JsonNode? ModelParameters, ReplayMode Mode = ReplayMode.Isolated,
    ToolMatching ToolMatching = ToolMatching.Strict)
{
    public static OverridesDto From(ReplayOverrides overrides) => new(
        overrides.Model, overrides.PromptTemplateVersionId,
        overrides.ModelParametersJson is { } p ? JsonNode.Parse(p) : null, overrides.Mode, overrides.ToolMatching);
}

public sealed record ProgressDto(int CompletedSpans, int TotalSpans);

public sealed record ReplayErrorDto(string Code, string Message, int? ProviderStatus, string? SpanId);

public sealed record ReplayResultDto(decimal? TotalCost, long? TotalTokens, double? DurationMs, bool Simulated);

public sealed record SkippedSpanDto(string SpanId, string Name, string Reason);

public sealed record ReplayDto(
    string Id, string TraceId, ReplayStatus Status, OverridesDto Overrides, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, ReplayErrorDto? Error, ProgressDto Progress,
    string? ReplayTraceId, OverrideCounts OverridesApplied, ReplayResultDto? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EvaluationsDto? Evaluations = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SkippedSpanDto>? SkippedSpans = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReplayDecisions? Decisions = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReplayDivergence? Divergence = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<PriceDto>? Prices = null);

/// <summary>A model's price, USD per one million tokens, in force from effectiveFrom (null: since always); source shipped or override.</summary>
public sealed record PriceDto(string Model, string Provider, decimal InputPerMillion, decimal OutputPerMillion, DateTimeOffset? EffectiveFrom, string Source)
{
    public static PriceDto From(DatedPrice price) => new(
        price.Model, price.Provider, price.InputPerMillion, price.OutputPerMillion, price.EffectiveFrom,
        price.Source == PriceSource.Override ? "override" : "shipped");
}

public sealed record ModelDto(
    string Name, string Provider, decimal? InputPricePerMillion, decimal? OutputPricePerMillion, bool Served,
    string? ServedBy, bool Simulated, string? ServedByKind, DateTimeOffset? PriceEffectiveFrom = null, string? PriceSource = null);

/// <summary>Maps grain records to the API's JSON; raw JSON payloads become JSON again, not strings.</summary>
public static class ApiModels
{
    public static TraceDto ToDto(this TraceCatalogRow row) => new(
        row.Id, row.Name, row.Status, row.Timestamp, row.EndTime, row.DurationMs, row.TotalCost, row.TotalTokens,
        row.Tags, Json(row.MetadataJson), row.SpanCount, 0, row.CreatedAt, row.Simulated, Lineage(row.ReplayOf), Pinned: row.Pinned);

    public static TraceDto ToDto(this TraceData trace)
    {
        var row = TraceCatalogRow.From(trace);
        var metrics = TraceMetrics.From(trace.Spans);
        return row.ToDto() with
        {
            Spans = [.. trace.Spans.Select(s => s.ToDto(trace.Id))],
            PromptTokens = metrics.PromptTokens,
            CompletionTokens = metrics.CompletionTokens,
        };
    }

    public static SpanDto ToDto(this SpanData span, string traceId) => new(
        span.Id, traceId, span.ParentSpanId, span.Name, span.Type, span.StartTime, span.EndTime, span.DurationMs,
        Json(span.InputJson), Json(span.OutputJson), span.Model, Json(span.ModelParametersJson),
        span.PromptTokens is null && span.CompletionTokens is null
            ? null
            : new UsageDto(span.PromptTokens, span.CompletionTokens, span.PromptTokens + span.CompletionTokens),
        span.Cost, span.Status, Json(span.MetadataJson), span.PromptTemplateVersionId, Json(span.PromptVariablesJson),
        span.PromptMessageIndex, span.ReplayOfSpanId, span.Simulated, span.NotReplayableReason, span.OutputReplayed);

    public static ReplayDto ToDto(this ReplaySnapshot replay) => new(
        replay.Id, replay.TraceId, replay.Status,
        OverridesDto.From(replay.Overrides),
        replay.CreatedAt, replay.StartedAt, replay.CompletedAt,
        replay.Error is { } e ? new ReplayErrorDto(e.Code, e.Message, e.ProviderStatus, e.SpanId) : null,
        new ProgressDto(replay.CompletedSpans, replay.TotalSpans), replay.ReplayTraceId, replay.OverridesApplied,
        replay.Result is { } r ? new ReplayResultDto(r.TotalCost, r.KnownTotalTokens, r.DurationMs, r.Simulated) : null,
        SkippedSpans: replay.SkippedSpans is { Count: > 0 } skipped ? [.. skipped.Select(s => new SkippedSpanDto(s.SpanId, s.Name, s.Reason))] : null,
        Decisions: replay.Decisions, Divergence: replay.Divergence,
        Prices: replay.Prices is { Items.Count: > 0 } prices ? [.. prices.Items.Select(PriceDto.From)] : null);

    private static LineageDto? Lineage(TraceLineage? lineage) => lineage is null ? null : new LineageDto(lineage.TraceId, lineage.ReplayId);

    private static JsonNode? Json(string? json) => json is null ? null : JsonNode.Parse(json);
}
