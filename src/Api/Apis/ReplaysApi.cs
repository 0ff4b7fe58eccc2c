using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;

namespace TraceReplay.Api.Apis;

/// <summary>Reading a replay's state and progress.</summary>
public static class ReplaysApi
{
    public static IEndpointRouteBuilder MapReplaysApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/replays").WithTags("Replays")
            .MapGet("/{replayId}", GetReplay).WithName("GetReplay").WithSummary("A replay's status, progress and result").ProducesErrors(404);
        return app;
    }

    public static async Task<Results<Ok<DataEnvelope<ReplayDto>>, JsonHttpResult<ApiErrorBody>>> GetReplay(
        string replayId, IClusterClient grains, ProjectContext project)
    {
        var replay = await grains.GetGrain<IReplayGrain>(replayId).GetAsync();
        if (replay is null || replay.Project != project.Id)
        {
            return ApiErrors.NotFound($"replay '{replayId}' not found.");
        }

        // The new trace's scoring, so a client polling the replay sees when its scores are complete.
        var evaluations = replay.ReplayTraceId is { } traceId
            ? EvaluationsDto.From(await grains.GetGrain<ITraceGrain>(TraceKeys.For(project.Id, traceId)).GetEvaluationStatusAsync())
            : null;
        return TypedResults.Ok(new DataEnvelope<ReplayDto>(replay.ToDto() with { Evaluations = evaluations }));
    }
}
