using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Api.Ingestion;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Api.Apis;

/// <summary>Trace ingestion and queries (2Signal's <c>/api/v1/traces</c>), and replaying a trace.</summary>
public static class TracesApi
{
    public static IEndpointRouteBuilder MapTracesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/traces").WithTags("Traces");
        group.MapPost("/", IngestBatch).WithName("IngestTraces").WithSummary("Ingest a batch of trace-create and span-create events")
            .DisableValidation().ProducesErrors(400, 413, 415);
        group.MapGet("/", ListTraces).WithName("ListTraces").WithSummary("List traces, newest first, with filters and cursor paging").ProducesErrors(400);
        group.MapGet("/{traceId}", GetTrace).WithName("GetTrace").WithSummary("Get a trace with its spans").ProducesErrors(404);
        group.MapPost("/{traceId}/pin", PinTrace).WithName("PinTrace")
            .WithSummary("Keep a trace past retention until it is unpinned").ProducesErrors(404, 409);
        group.MapDelete("/{traceId}/pin", UnpinTrace).WithName("UnpinTrace")
            .WithSummary("Release the pin by hand; pins held by sweeps stay").ProducesErrors(404);
        group.MapPost("/{traceId}/replays", StartReplay).WithName("StartReplay").WithTags("Replays")
            .WithSummary("Replay a trace's LLM spans with overrides; answers at once with the PENDING replay")
            .DocumentsBody<StartReplayRequest>().ProducesErrors(400, 404, 410, 413);
        group.MapGet("/{traceId}/replays", ListReplays).WithName("ListTraceReplays").WithTags("Replays")
            .WithSummary("The trace's replay history, newest first").ProducesErrors(404);
        return app;
    }

    public sealed record AcceptedResponse(int Accepted);

    public static async Task<Results<Created<AcceptedResponse>, JsonHttpResult<ApiErrorBody>>> IngestBatch(
        IngestBatchRequest? body, [AsParameters] TraceServices services, BatchIngestor ingestor)
    {
        // The platform bound the body; its checks are made here (see IngestBatchRequest), the size first. A JSON null
        // body is refused by Check as one without a batch.
        body ??= new IngestBatchRequest(null);
        if (body.Batch is { Count: var count } && count > services.Limits.MaxBatchEvents)
        {
            return ApiErrors.PayloadTooLarge($"batch has {count} events; the limit is {services.Limits.MaxBatchEvents} events per request.");
        }

        if (BatchParser.Check(body) is { } invalid)
        {
            return ApiErrors.Validation(invalid);
        }

        var batch = BatchParser.ToBatch(body, services.Time.GetUtcNow());
        return await ingestor.IngestAsync(batch.Traces, services.Trace) is { } refused
            ? ApiErrors.From(refused)
            : TypedResults.Created((string?)null, new AcceptedResponse(batch.Accepted));
    }

    public static async Task<Results<Ok<DataEnvelope<TraceListDto>>, JsonHttpResult<ApiErrorBody>>> ListTraces(
        [AsParameters] TraceServices services, string? limit, string? cursor, string? name, string? status,
        string? tags, string? startDate, string? endDate, string? pinned, string? kind, CancellationToken cancellationToken)
    {
        if (pinned is not (null or "true" or "false"))
        {
            return ApiErrors.Validation($"pinned must be true or false; got '{pinned}'.");
        }

        bool? replays = null;
        switch (kind?.ToLowerInvariant())
        {
            case null or "all":
                break;
            case "original" or "originals":
                replays = false;
                break;
            case "replay" or "replays":
                replays = true;
                break;
            default:
                return ApiErrors.Validation($"kind must be all, original or replay; got '{kind}'.");
        }

        var pageSize = 50;
        if (limit is not null && (!int.TryParse(limit, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 100))
        {
            return ApiErrors.Validation($"limit must be a whole number from 1 to 100; got '{limit}'.");
        }

        SpanStatus? statusFilter = null;
        if (status is not null)
        {
            if (!Enum.TryParse<SpanStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(status[0]))
            {
                return ApiErrors.Validation($"status must be OK or ERROR; got '{status}'.");
            }

            statusFilter = parsed;
        }

        if (!TryParseDate(startDate, out var from) || !TryParseDate(endDate, out var to))
        {
            return ApiErrors.Validation("startDate and endDate must be ISO 8601 timestamps.");
        }

        try
        {
            TraceCursor.Decode(cursor);
        }
        catch (FormatException)
        {
            return ApiErrors.Validation("cursor is not a cursor this service issued.");
        }

        var tagList = tags?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var page = await services.Catalog.QueryAsync(
            new TraceQuery(services.Project.Id, pageSize, cursor, name, statusFilter, tagList, from, to,
                Pinned: pinned is null ? null : pinned == "true", Replays: replays),
            cancellationToken);
        return TypedResults.Ok(new DataEnvelope<TraceListDto>(new TraceListDto([.. page.Traces.Select(r => r.ToDto())], page.NextCursor)));
    }

    public static async Task<Results<Ok<DataEnvelope<TraceDto>>, JsonHttpResult<ApiErrorBody>>> GetTrace(
        string traceId, [AsParameters] TraceServices services)
    {
        var grain = services.Trace(traceId);
        var trace = await grain.GetAsync();
        if (trace is null)
        {
            return ApiErrors.NotFound($"trace '{traceId}' not found.");
        }

        var holders = await services.Catalog.PinHoldersAsync(services.Project.Id, traceId);
        return TypedResults.Ok(new DataEnvelope<TraceDto>(trace.ToDto() with
        {
            ScoreCount = (await grain.GetScoresAsync()).Count,
            Evaluations = EvaluationsDto.From(await grain.GetEvaluationStatusAsync()),
            Pinned = holders.Count > 0,
            PinnedBy = holders,
        }));
    }

    public static async Task<Results<Ok<DataEnvelope<PinDto>>, JsonHttpResult<ApiErrorBody>>> PinTrace(
        string traceId, [AsParameters] TraceServices services, CancellationToken cancellationToken)
    {
        if (await services.Trace(traceId).GetAsync() is null)
        {
            return ApiErrors.NotFound($"trace '{traceId}' not found.");
        }

        var project = services.Project.Id;
        var holders = await services.Catalog.PinHoldersAsync(project, traceId, cancellationToken);
        if (!holders.Contains(PinHolders.Manual))
        {
            var limit = services.RetentionOptions.Value.MaxPinnedTraces;
            var pins = await services.Catalog.CountPinsAsync(project, cancellationToken);
            if (pins >= limit)
            {
                return ApiErrors.Conflict(
                    $"the project already holds {pins} pins, its limit (TraceReplay:Retention:MaxPinnedTraces is {limit}); unpin traces or delete finished sweeps first.");
            }

            await services.Catalog.PinAsync(project, PinHolders.Manual, [traceId], cancellationToken);
            holders = await services.Catalog.PinHoldersAsync(project, traceId, cancellationToken);
        }

        return TypedResults.Ok(new DataEnvelope<PinDto>(new PinDto(traceId, true, holders)));
    }

    public static async Task<Results<Ok<DataEnvelope<PinDto>>, JsonHttpResult<ApiErrorBody>>> UnpinTrace(
        string traceId, [AsParameters] TraceServices services, CancellationToken cancellationToken)
    {
        var project = services.Project.Id;
        var holders = await services.Catalog.PinHoldersAsync(project, traceId, cancellationToken);
        if (holders.Count == 0 && await services.Trace(traceId).GetAsync() is null)
        {
            return ApiErrors.NotFound($"trace '{traceId}' not found.");
        }

        await services.Catalog.UnpinAsync(project, PinHolders.Manual, [traceId], cancellationToken);
        holders = await services.Catalog.PinHoldersAsync(project, traceId, cancellationToken);
        return TypedResults.Ok(new DataEnvelope<PinDto>(new PinDto(traceId, holders.Count > 0, holders)));
    }

    public static async Task<Results<Accepted<DataEnvelope<ReplayDto>>, JsonHttpResult<ApiErrorBody>>> StartReplay(
        string traceId, StartReplayRequest? body, HttpRequest request, [AsParameters] TraceServices services, CancellationToken cancellationToken)
    {
        if (body is null && BodyRules.HasBody(request))
        {
            return ApiErrors.Validation("The body must be a JSON object: the overrides, or no body for none.");
        }

        var overrides = body?.ToOverrides() ?? ReplayOverrides.None;

        // One admission call: validation, the plan and the project's in-flight slot happen inside it.
        var result = await services.Trace(traceId).StartReplayAsync(overrides, inFlightLimit: services.Limits.MaxReplaysInFlightPerProject);
        if (result.Error is not null)
        {
            return ApiErrors.From(result.Error);
        }

        return TypedResults.Accepted($"/api/v1/replays/{result.Replay!.Id}", new DataEnvelope<ReplayDto>(result.Replay.ToDto()));
    }

    public static async Task<Results<Ok<DataEnvelope<IReadOnlyList<ReplayDto>>>, JsonHttpResult<ApiErrorBody>>> ListReplays(
        string traceId, [AsParameters] TraceServices services)
    {
        var grain = services.Trace(traceId);
        if (await grain.GetAsync() is null)
        {
            return ApiErrors.NotFound($"trace '{traceId}' not found.");
        }

        // History entries of unfinished replays are refreshed from the replay itself, so the list never lags behind it.
        var replays = await Task.WhenAll((await grain.GetReplaysAsync()).Select(async r =>
            r.Status is ReplayStatus.Completed or ReplayStatus.Failed
                ? r
                : await services.Grains.GetGrain<IReplayGrain>(r.Id).GetAsync() ?? r));
        return TypedResults.Ok(new DataEnvelope<IReadOnlyList<ReplayDto>>([.. replays.Select(r => r.ToDto())]));
    }

    private static bool TryParseDate(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}

