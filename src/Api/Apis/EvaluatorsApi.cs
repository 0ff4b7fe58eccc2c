using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;

namespace TraceReplay.Api.Apis;

public sealed record EvaluatorDto(
    string Id, string Name, string Type, JsonNode? Config, bool Enabled, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record ScoreDto(
    string TraceId, string? SpanId, string EvaluatorId, string Name, string Type, double? Score, string? Label,
    string? Reasoning, int EvaluatorVersion, string? Error, string Source, bool HigherIsBetter, DateTimeOffset CreatedAt);

/// <summary>Evaluator configuration (<c>/api/v1/evaluators</c>) and scores (<c>/api/v1/scores</c>, a trace's scores).</summary>
public static class EvaluatorsApi
{
    public const string ApiSource = "API";

    /// <summary>What a stored secret (a webhook header's value) reads back as.</summary>
    public const string Redacted = "***";

    /// <summary>How long saving a WEBHOOK evaluator waits for its host to resolve before leaving the check to call time.</summary>
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapEvaluatorsApi(this IEndpointRouteBuilder app)
    {
        var evaluators = app.MapGroup("/api/v1/evaluators").WithTags("Evaluators");
        evaluators.MapPost("/", CreateEvaluator).WithName("CreateEvaluator").WithSummary("Create an evaluator; new traces are scored by every enabled one")
            .ProducesErrors(400, 413, 415);
        evaluators.MapGet("/", ListEvaluators).WithName("ListEvaluators").WithSummary("The project's evaluators, oldest first");
        evaluators.MapGet("/{evaluatorId}", GetEvaluator).WithName("GetEvaluator").WithSummary("One evaluator").ProducesErrors(404);
        evaluators.MapPatch("/{evaluatorId}", UpdateEvaluator).WithName("UpdateEvaluator").WithSummary("Change name, config or enabled; a new config bumps the version")
            .ProducesErrors(400, 404, 413, 415);
        evaluators.MapDelete("/{evaluatorId}", DeleteEvaluator).WithName("DeleteEvaluator").WithSummary("Delete an evaluator").ProducesErrors(404);
        app.MapPost("/api/v1/scores", CreateScore).WithTags("Scores").WithName("CreateScore").WithSummary("Record a custom score for a trace or one of its spans")
            .ProducesErrors(400, 404, 413, 415);
        app.MapGet("/api/v1/traces/{traceId}/scores", ListTraceScores).WithTags("Scores").WithName("ListTraceScores").WithSummary("A trace's scores").ProducesErrors(404);
        return app;
    }

    public static async Task<Results<Created<DataEnvelope<EvaluatorDto>>, JsonHttpResult<ApiErrorBody>>> CreateEvaluator(
        CreateEvaluatorRequest body, [AsParameters] TraceServices services, WebhookUrlGuard guard, CancellationToken cancellationToken)
    {
        var (name, type, config, enabled) = (body.Name!, body.Type!, body.ConfigJson, body.Enabled ?? true);
        if (await CheckWebhookHostAsync(type, config, guard, cancellationToken) is { } refused)
        {
            return ApiErrors.Validation(refused);
        }

        var result = await Registry(services).CreateAsync(new NewEvaluator(name, type, config ?? "{}", enabled));
        return result.Error is not null
            ? ApiErrors.From(result.Error)
            : TypedResults.Created($"/api/v1/evaluators/{result.Evaluator!.Id}", new DataEnvelope<EvaluatorDto>(result.Evaluator.ToDto()));
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<EvaluatorDto>>>> ListEvaluators([AsParameters] TraceServices services) =>
        TypedResults.Ok(new DataEnvelope<IReadOnlyList<EvaluatorDto>>([.. (await Registry(services).ListAsync()).Select(e => e.ToDto())]));

    public static async Task<Results<Ok<DataEnvelope<EvaluatorDto>>, JsonHttpResult<ApiErrorBody>>> GetEvaluator(
        string evaluatorId, [AsParameters] TraceServices services) =>
        await Registry(services).GetAsync(evaluatorId) is { } evaluator
            ? TypedResults.Ok(new DataEnvelope<EvaluatorDto>(evaluator.ToDto()))
            : ApiErrors.NotFound($"evaluator '{evaluatorId}' not found.");

    public static async Task<Results<Ok<DataEnvelope<EvaluatorDto>>, JsonHttpResult<ApiErrorBody>>> UpdateEvaluator(
        string evaluatorId, UpdateEvaluatorRequest body, [AsParameters] TraceServices services, WebhookUrlGuard guard, CancellationToken cancellationToken)
    {
        var current = await Registry(services).GetAsync(evaluatorId);
        if (current is null)
        {
            return ApiErrors.NotFound($"evaluator '{evaluatorId}' not found.");
        }

        if (body.Type is not null && !string.Equals(body.Type, current.Type, StringComparison.OrdinalIgnoreCase))
        {
            return ApiErrors.Validation($"type cannot change (it is {current.Type}); create a new evaluator instead.");
        }

        var (name, config, enabled) = (body.Name, body.ConfigJson, body.Enabled);
        config = config is null ? null : KeepRedactedHeaders(config, current.ConfigJson);
        if (await CheckWebhookHostAsync(current.Type, config, guard, cancellationToken) is { } refused)
        {
            return ApiErrors.Validation(refused);
        }

        var result = await Registry(services).UpdateAsync(evaluatorId, new EvaluatorPatch(name, config, enabled));
        return result.Error is not null ? ApiErrors.From(result.Error) : TypedResults.Ok(new DataEnvelope<EvaluatorDto>(result.Evaluator!.ToDto()));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiErrorBody>>> DeleteEvaluator(string evaluatorId, [AsParameters] TraceServices services) =>
        await Registry(services).DeleteAsync(evaluatorId) ? TypedResults.NoContent() : ApiErrors.NotFound($"evaluator '{evaluatorId}' not found.");

    /// <summary>
    /// 2Signal's body {traceId, spanId?, evaluatorName, value, label?, reasoning?}; name and score are accepted for
    /// evaluatorName and value. A second score with the same name (and span) replaces the first.
    /// </summary>
    public static async Task<Results<Created<DataEnvelope<ScoreDto>>, JsonHttpResult<ApiErrorBody>>> CreateScore(
        CreateScoreRequest body, [AsParameters] TraceServices services)
    {
        var (traceId, spanId, name, value, label, reasoning) = (body.TraceId!, body.SpanId, body.ScoreName!, body.ScoreValue, body.Label, body.Reasoning);
        var trace = services.Trace(traceId);
        var data = await trace.GetAsync();
        if (data is null)
        {
            return ApiErrors.NotFound($"trace '{traceId}' not found.");
        }

        if (spanId is not null && data.Spans.All(s => s.Id != spanId))
        {
            return ApiErrors.NotFound($"span '{spanId}' not found in trace '{traceId}'.");
        }

        var score = new TraceScore($"api:{name.Trim()}", name.Trim(), "CUSTOM", value, label, reasoning, 1, services.Time.GetUtcNow(),
            SpanId: spanId, Source: ApiSource);
        await trace.AddScoreAsync(score);
        return TypedResults.Created($"/api/v1/traces/{traceId}/scores", new DataEnvelope<ScoreDto>(score.ToDto(traceId)));
    }

    public static async Task<Results<Ok<DataEnvelope<IReadOnlyList<ScoreDto>>>, JsonHttpResult<ApiErrorBody>>> ListTraceScores(
        string traceId, [AsParameters] TraceServices services)
    {
        var trace = services.Trace(traceId);
        if (await trace.GetAsync() is null)
        {
            return ApiErrors.NotFound($"trace '{traceId}' not found.");
        }

        var scores = await trace.GetScoresAsync();
        return TypedResults.Ok(new DataEnvelope<IReadOnlyList<ScoreDto>>([.. scores.OrderBy(s => s.CreatedAt).Select(s => s.ToDto(traceId))]));
    }

    /// <summary>The evaluator as clients read it: header values (webhook secrets) are replaced by <see cref="Redacted"/>.</summary>
    public static EvaluatorDto ToDto(this EvaluatorDefinition e) =>
        new(e.Id, e.Name, e.Type, Redact(JsonNode.Parse(e.ConfigJson)), e.Enabled, e.Version, e.CreatedAt, e.UpdatedAt);

    private static JsonNode? Redact(JsonNode? config)
    {
        if (config?["headers"] is JsonObject headers)
        {
            foreach (var name in headers.Select(h => h.Key).ToList())
            {
                headers[name] = Redacted;
            }
        }

        return config;
    }

    /// <summary>A config sent back as read keeps the stored value of each header that reads <see cref="Redacted"/>.</summary>
    private static string KeepRedactedHeaders(string configJson, string storedJson)
    {
        if (JsonNode.Parse(configJson) is not JsonObject config || config["headers"] is not JsonObject headers
            || JsonNode.Parse(storedJson)?["headers"] is not JsonObject stored)
        {
            return configJson;
        }

        foreach (var (name, value) in headers.ToList())
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && text == Redacted && stored[name] is { } original)
            {
                headers[name] = original.DeepClone();
            }
        }

        return config.ToJsonString();
    }

    /// <summary>For a WEBHOOK config, refuses a host that resolves to a non-public address (calls are checked again at connection time).</summary>
    private static async Task<string?> CheckWebhookHostAsync(string type, string? configJson, WebhookUrlGuard guard, CancellationToken cancellationToken)
    {
        if (!string.Equals(type, "WEBHOOK", StringComparison.OrdinalIgnoreCase) || configJson is null
            || JsonNode.Parse(configJson)?["url"] is not JsonValue url || !url.TryGetValue<string>(out var text)
            || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || guard.CheckUrl(uri) is not null)
        {
            return null; // Anything else wrong with the config is the registry's to report.
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ResolveTimeout);
        return await guard.CheckHostAsync(uri.Host, timeout.Token, refuseUnresolved: false);
    }

    public static ScoreDto ToDto(this TraceScore s, string traceId) =>
        new(traceId, s.SpanId, s.EvaluatorId, s.Name, s.Type, s.Score, s.Label, s.Reasoning, s.EvaluatorVersion, s.Error, s.Source, s.HigherIsBetter, s.CreatedAt);

    private static IEvaluatorRegistryGrain Registry(TraceServices services) =>
        services.Grains.GetGrain<IEvaluatorRegistryGrain>(services.Project.Id);
}
