using Orleans.Streams;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Evaluation.Evaluators;
using TraceReplay.Grains.Telemetry;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Evaluation;

/// <summary>
/// Scores one trace (key: the trace's grain key, <see cref="TraceKeys.For"/>). Its implicit stream subscription receives the trace's TraceCreated event; the
/// trace calls <see cref="StartAsync"/> when evaluation recovery re-drives it (the event was lost). Either way an interleaving one-shot timer
/// reads the evaluators still pending on the trace, runs them and records each score as it arrives. The trace keys
/// scores by evaluator and version and drops them from its pending list, so a redelivered event adds nothing.
/// </summary>
[ImplicitStreamSubscription(TraceReplayNames.TraceCreatedNamespace)]
public sealed partial class EvaluationGrain(EvaluationRunner runner, TimeProvider time, ILogger<EvaluationGrain> logger) : Grain, IEvaluationGrain
{
    private IGrainTimer? _driver;

    // A start that arrived while a drive was running: its evaluators may not be in the list that drive read.
    private bool _startAgain;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(TraceReplayNames.StreamProvider)
            .GetStream<TraceCreated>(StreamId.Create(TraceReplayNames.TraceCreatedNamespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((created, _) => StartAsync(created));
    }

    public Task StartAsync(TraceCreated created)
    {
        if (_driver is not null)
        {
            _startAgain = true;
        }
        else
        {
            var wait = created.EvaluateAfter - time.GetUtcNow();

            // Interleave: a re-drive may call StartAsync while a drive waits for LLM slots for minutes.
            _driver = this.RegisterGrainTimer(DriveAsync, new GrainTimerCreationOptions
            {
                DueTime = wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
                Period = Timeout.InfiniteTimeSpan,
                Interleave = true,
                KeepAlive = true,
            });
        }

        return Task.CompletedTask;
    }

    private async Task DriveAsync(CancellationToken cancellationToken)
    {
        var traceId = this.GetPrimaryKeyString();
        using var scope = LogScopes.Trace(logger, traceId);
        try
        {
            var traceGrain = GrainFactory.GetGrain<ITraceGrain>(traceId);
            var status = await traceGrain.GetEvaluationStatusAsync();
            if (status.Pending.Count == 0 || await traceGrain.GetAsync() is not { } trace)
            {
                return;
            }

            var expected = await ReferenceOutputAsync(trace);
            await Task.WhenAll(status.Pending.Select(async evaluator =>
            {
                var score = await runner.RunAsync(evaluator, trace, expected, cancellationToken);
                await traceGrain.AddScoreAsync(score);
            }));
            TraceReplayMetrics.Evaluated(time.GetUtcNow() - trace.CreatedAt);
            LogEvaluated(logger, traceId, status.Pending.Count);
        }
        catch (Exception ex)
        {
            // Evaluation recovery drives it again; evaluators that already scored are no longer pending.
            LogDriveFailed(logger, ex, traceId);
        }
        finally
        {
            _driver?.Dispose();
            _driver = null;
            if (_startAgain)
            {
                _startAgain = false;
                StartAsync(new TraceCreated(traceId, string.Empty, time.GetUtcNow())).Ignore();
            }
            else
            {
                // Nothing to keep: the scores are on the trace. Idle evaluation grains would otherwise hold memory until
                // collection (minutes), one per new trace — tens of thousands in a large sweep.
                this.DeactivateOnIdle();
            }
        }
    }

    /// <summary>For a replay, the original trace's root output: what reference-based evaluators compare with.</summary>
    private async Task<string?> ReferenceOutputAsync(TraceData trace)
    {
        if (trace.ReplayOf is not { } lineage)
        {
            return null;
        }

        // Kept with the replay's outcome; only replays completed before it was kept read the original again.
        if (await GrainFactory.GetGrain<IReplayTraceGrain>(this.GetPrimaryKeyString()).GetReplayRecordAsync() is { Reference: { } reference })
        {
            return reference.Output;
        }

        var original = await GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(trace.Project, lineage.TraceId)).GetAsync();
        return original is null ? null : EvaluationRunner.ReferenceOutput(original);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId} scored by {Count} evaluators")]
    private static partial void LogEvaluated(ILogger logger, string traceId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluating trace {TraceId} failed; evaluation recovery will retry")]
    private static partial void LogDriveFailed(ILogger logger, Exception exception, string traceId);
}
