using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;

namespace TraceReplay.Api.Apis;

public sealed record BackfillCountsDto(int Total, int Queued, int Scoring, int Scored, int Skipped);

public sealed record BackfillDto(
    string Id, string EvaluatorId, string EvaluatorName, int EvaluatorVersion, BackfillStatus Status, string Filter, BackfillCountsDto Counts,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt);

/// <summary>Backfills: score traces that already exist with an evaluator (<c>/api/v1/evaluators/{id}/backfill</c>, <c>/api/v1/backfills</c>).</summary>
public static class BackfillsApi
{
    public static IEndpointRouteBuilder MapBackfillsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/evaluators/{evaluatorId}/backfill", StartBackfill).WithTags("Evaluators").WithName("StartBackfill")
            .WithSummary("Score existing traces that match a filter with this evaluator; answers at once, poll the backfill for progress")
            .DocumentsBody<StartBackfillRequest>().ProducesErrors(400, 404, 413, 429);
        app.MapGet("/api/v1/backfills/{backfillId}", GetBackfill).WithTags("Evaluators").WithName("GetBackfill")
            .WithSummary("A backfill's status and counts").ProducesErrors(404);
        app.MapPost("/api/v1/backfills/{backfillId}/cancel", CancelBackfill).WithTags("Evaluators").WithName("CancelBackfill")
            .WithSummary("Ask no more traces; the ones being scored finish and are counted").ProducesErrors(404, 409);
        return app;
    }

    public static async Task<Results<Accepted<DataEnvelope<BackfillDto>>, JsonHttpResult<ApiErrorBody>>> StartBackfill(
        string evaluatorId, StartBackfillRequest? body, HttpRequest request, [AsParameters] TraceServices services, CancellationToken cancellationToken)
    {
        if (body is null && BodyRules.HasBody(request))
        {
            return ApiErrors.Validation("The body must be a JSON object: {\"filter\": {...}, \"includeReplays\": true}, or no body for all traces.");
        }

        var filter = body?.Filter?.ToFilter() ?? SweepFilterRequest.Everything;
        var includeReplays = body?.IncludeReplays ?? true;
        if (await services.Grains.GetGrain<IEvaluatorRegistryGrain>(services.Project.Id).GetAsync(evaluatorId) is not { } evaluator)
        {
            return ApiErrors.NotFound($"evaluator '{evaluatorId}' not found.");
        }

        var (targets, resolveError) = await SweepTraceResolver.ResolveAsync(
            filter, services.Project.Id, services.Catalog, cancellationToken, includeReplays);
        if (resolveError is not null)
        {
            return ApiErrors.Validation(resolveError);
        }

        if (targets.Count == 0)
        {
            return ApiErrors.Validation($"filter matched no traces ({filter.Describe()}).");
        }

        var backfillId = "bkf_" + Guid.NewGuid().ToString("N");
        var definition = new BackfillDefinition(
            services.Project.Id, evaluator, [.. targets.Select(t => t.TraceId)],
            filter.Describe() + (includeReplays ? "" : ", originals only"), services.Time.GetUtcNow());
        var limit = services.Limits.MaxBackfillsPerProject;
        if (!await services.Grains.GetGrain<IProjectQuotaGrain>(services.Project.Id).TryAcquireAsync(QuotaKind.Backfills, backfillId, limit))
        {
            return ApiErrors.LimitExceeded(
                $"the project already has {limit} backfills pending or running, its limit (TraceReplay:Limits:MaxBackfillsPerProject); wait for one to finish or cancel one.");
        }

        var grain = services.Grains.GetGrain<IBackfillGrain>(backfillId);
        BackfillSnapshot backfill;
        try
        {
            backfill = await grain.StartInPagesAsync(definition);
        }
        catch
        {
            await ReleaseUnstartedSlotAsync(services, grain, backfillId);
            throw;
        }

        return TypedResults.Accepted($"/api/v1/backfills/{backfillId}", new DataEnvelope<BackfillDto>(backfill.ToDto()));
    }

    public static async Task<Results<Ok<DataEnvelope<BackfillDto>>, JsonHttpResult<ApiErrorBody>>> GetBackfill(
        string backfillId, [AsParameters] TraceServices services) =>
        await services.Grains.GetGrain<IBackfillGrain>(backfillId).GetAsync() is { } backfill && backfill.Project == services.Project.Id
            ? TypedResults.Ok(new DataEnvelope<BackfillDto>(backfill.ToDto()))
            : ApiErrors.NotFound($"backfill '{backfillId}' not found.");

    public static async Task<Results<Ok<DataEnvelope<BackfillDto>>, JsonHttpResult<ApiErrorBody>>> CancelBackfill(
        string backfillId, [AsParameters] TraceServices services)
    {
        var grain = services.Grains.GetGrain<IBackfillGrain>(backfillId);
        if (await grain.GetAsync() is not { } backfill || backfill.Project != services.Project.Id)
        {
            return ApiErrors.NotFound($"backfill '{backfillId}' not found.");
        }

        var result = await grain.CancelAsync();
        return result.Error is not null ? ApiErrors.From(result.Error) : TypedResults.Ok(new DataEnvelope<BackfillDto>(result.Backfill!.ToDto()));
    }

    /// <summary>A start that failed gives the project's backfill slot back, unless the backfill did start or cannot be asked.</summary>
    private static async Task ReleaseUnstartedSlotAsync(TraceServices services, IBackfillGrain backfill, string backfillId)
    {
        try
        {
            if (await backfill.GetAsync() is null)
            {
                await services.Grains.GetGrain<IProjectQuotaGrain>(services.Project.Id).ReleaseAsync(QuotaKind.Backfills, backfillId);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The start's own failure is the one the caller answers; this one only leaves the slot to the quota grain's pruning.
        }
    }

    private static BackfillDto ToDto(this BackfillSnapshot b) => new(
        b.Id, b.EvaluatorId, b.EvaluatorName, b.EvaluatorVersion, b.Status, b.FilterDescription,
        new BackfillCountsDto(b.Counts.Total, b.Counts.Queued, b.Counts.Scoring, b.Counts.Scored, b.Counts.Skipped), b.CreatedAt, b.CompletedAt);
}
