using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Comparison;

namespace TraceReplay.Api.Apis;

/// <summary>Comparing two traces, or a replay against its original (see <see cref="TraceComparer"/>).</summary>
public static class ComparisonApi
{
    public static IEndpointRouteBuilder MapComparisonApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/traces/{traceId}/compare/{otherTraceId}", CompareTraces)
            .WithName("CompareTraces").WithTags("Comparison")
            .WithSummary("Trace B against trace A: metric deltas, aligned spans with diffs, scores and a summary line").ProducesErrors(404);
        app.MapGet("/api/v1/replays/{replayId}/comparison", CompareReplay)
            .WithName("CompareReplay").WithTags("Comparison", "Replays")
            .WithSummary("A completed replay's trace against its original").ProducesErrors(404, 409);
        return app;
    }

    public static async Task<Results<Ok<DataEnvelope<TraceComparison>>, JsonHttpResult<ApiErrorBody>>> CompareTraces(
        string traceId, string otherTraceId, IClusterClient grains, ProjectContext project) =>
        await CompareAsync(grains, project.Id, traceId, otherTraceId);

    public static async Task<Results<Ok<DataEnvelope<TraceComparison>>, JsonHttpResult<ApiErrorBody>>> CompareReplay(
        string replayId, IClusterClient grains, ProjectContext project)
    {
        var replay = await grains.GetGrain<IReplayGrain>(replayId).GetAsync();
        if (replay is null || replay.Project != project.Id)
        {
            return ApiErrors.NotFound($"replay '{replayId}' not found.");
        }

        if (replay.Status != ReplayStatus.Completed || replay.ReplayTraceId is null)
        {
            var why = replay.Status == ReplayStatus.Failed
                ? $"replay '{replayId}' FAILED ({replay.Error?.Message}), so it has no trace to compare."
                : $"replay '{replayId}' is {replay.Status.ToString().ToUpperInvariant()}; its comparison is available once it is COMPLETED.";
            return ApiErrors.Conflict(why);
        }

        return await CompareAsync(grains, project.Id, replay.TraceId, replay.ReplayTraceId);
    }

    private static async Task<Results<Ok<DataEnvelope<TraceComparison>>, JsonHttpResult<ApiErrorBody>>> CompareAsync(
        IClusterClient grains, string project, string traceIdA, string traceIdB)
    {
        // Both keys are the caller's project's: a trace of another project is simply not found.
        var grainA = grains.GetGrain<ITraceGrain>(TraceKeys.For(project, traceIdA));
        var grainB = grains.GetGrain<ITraceGrain>(TraceKeys.For(project, traceIdB));
        var (a, b) = (await grainA.GetAsync(), await grainB.GetAsync());
        if (a is null)
        {
            return ApiErrors.NotFound($"trace '{traceIdA}' not found.");
        }

        // Traces of another project are not visible here, so they are reported as not found.
        if (b is null || b.Project != a.Project)
        {
            return ApiErrors.NotFound($"trace '{traceIdB}' not found.");
        }

        var (scoresA, scoresB) = (await grainA.GetScoresAsync(), await grainB.GetScoresAsync());

        // B replays A in chained mode and stopped at a divergence: its figures cover only part of the run.
        var stoppedAt = b.ReplayOf is { } lineage && lineage.TraceId == a.Id
            ? (await grains.GetGrain<IReplayGrain>(lineage.ReplayId).GetAsync())?.Divergence
            : null;
        return TypedResults.Ok(new DataEnvelope<TraceComparison>(TraceComparer.Compare(a, b, scoresA, scoresB, stoppedAt)));
    }
}
