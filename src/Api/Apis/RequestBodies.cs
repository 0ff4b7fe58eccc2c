using System.Text.Json.Nodes;

namespace TraceReplay.Api.Apis;

// The request bodies as the OpenAPI document describes them. Handlers read bodies field by field so that each error
// names its field; these records only give the document their shape.

/// <summary>The body of <c>POST /api/v1/traces</c>: 2Signal's ingestion batch.</summary>
public sealed record IngestBatchRequest(IReadOnlyList<IngestEvent> Batch);

/// <summary>One event: <c>type</c> is <c>trace-create</c> (body: id, name, metadata?, tags?) or <c>span-create</c>
/// (body: trace_id, id?, name, type, input?, output?, model?, usage?, ...).</summary>
public sealed record IngestEvent(string Type, DateTimeOffset? Timestamp, JsonObject Body);

/// <summary>The body of <c>POST /api/v1/traces/{traceId}/replays</c>: the overrides, every one optional.</summary>
public sealed record StartReplayRequest(
    string? Model, string? PromptTemplateVersionId, JsonObject? ModelParameters, string? Mode, string? ToolMatching);

/// <summary>The body of <c>POST /api/v1/evaluators</c>.</summary>
public sealed record CreateEvaluatorRequest(string Name, string Type, JsonObject? Config, bool? Enabled);

/// <summary>The body of <c>PATCH /api/v1/evaluators/{evaluatorId}</c>; the type cannot change.</summary>
public sealed record UpdateEvaluatorRequest(string? Name, JsonObject? Config, bool? Enabled);

/// <summary>The body of <c>POST /api/v1/scores</c>; <c>name</c> and <c>score</c> are accepted for evaluatorName and value.</summary>
public sealed record CreateScoreRequest(string TraceId, string? SpanId, string EvaluatorName, double Value, string? Label, string? Reasoning);

/// <summary>Which traces a sweep replays: explicit ids, or catalog filters.</summary>
public sealed record SweepFilterRequest(
    IReadOnlyList<string>? TraceIds, string? Name, IReadOnlyList<string>? Tags, string? Status, DateTimeOffset? StartDate,
    DateTimeOffset? EndDate, int? Limit);

/// <summary>The body of <c>POST /api/v1/sweeps</c> and <c>POST /api/v1/sweeps/estimate</c>.</summary>
public sealed record StartSweepRequest(
    string? Name, SweepFilterRequest Filter, StartReplayRequest? Overrides, int? MaxInFlight, decimal? BudgetUsd,
    double? RegressionThreshold, string? BaselineSweepId, string? Mode, string? ToolMatching, bool? ScoreOriginals = null);

/// <summary>The body of <c>POST /api/v1/evaluators/{id}/backfill</c>: which traces to score; all of the project's when absent.</summary>
public sealed record StartBackfillRequest(SweepFilterRequest? Filter, bool? IncludeReplays);
