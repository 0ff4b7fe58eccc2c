using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TraceReplay.Grains.Evaluation;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// The trace's side of evaluation. When the trace counts as created — an ingested trace once it has its header and a
/// root span, a replay trace at once — it snapshots the project's enabled evaluators as pending, registers a re-drive
/// reminder and publishes TraceCreated. Each evaluator score removes its evaluator (id and version) from the pending
/// list; the reminder stops when none is left. Span batches that arrive after scoring started are not re-scored.
/// </summary>
public sealed partial class TraceGrain : IRemindable
{
    private const string EvaluationReminder = "redrive-evaluations";

    public Task<EvaluationStatus> GetEvaluationStatusAsync() => Task.FromResult(state.State.Evaluation ?? EvaluationStatus.None);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != EvaluationReminder)
        {
            return;
        }

        if (state.State.Evaluation is not { Pending.Count: > 0 } evaluation || state.State.Trace is not { } trace)
        {
            await StopRedrivingAsync();
            return;
        }

        LogEvaluationRedriven(logger, trace.Id, evaluation.Pending.Count);
        await GrainFactory.GetGrain<IEvaluationGrain>(TraceKeys.For(trace.Project, trace.Id))
            .StartAsync(new TraceCreated(trace.Id, trace.Project, evaluation.EvaluateAfter ?? time.GetUtcNow()));
    }

    /// <summary>
    /// Takes the evaluator snapshot into the state when the trace has just become complete enough to score; the caller
    /// persists it with the trace in one write, then calls <see cref="StartEvaluationsAsync"/>. False when nothing is due.
    /// </summary>
    private async Task<bool> SnapshotEvaluationsAsync(bool complete)
    {
        if (state.State.Evaluation is not null || state.State.Trace is not { } trace
            || (!complete && !(trace.HasHeader && trace.Spans.Any(s => s.ParentSpanId is null))))
        {
            return false;
        }

        var enabled = (await GrainFactory.GetGrain<IEvaluatorRegistryGrain>(trace.Project).ListAsync()).Where(e => e.Enabled).ToList();
        var evaluateAfter = time.GetUtcNow() + (complete ? TimeSpan.Zero : EvaluationOptions.SettleDelay);
        state.State.Evaluation = new EvaluationStatus(enabled.Count, enabled, evaluateAfter);
        return enabled.Count > 0;
    }

    /// <summary>After the snapshot is persisted: the re-drive reminder, then the TraceCreated event.</summary>
    private async Task StartEvaluationsAsync()
    {
        var trace = state.State.Trace!;
        await this.RegisterOrUpdateReminder(EvaluationReminder, EvaluationOptions.RedriveInterval, EvaluationOptions.RedriveInterval);
        try
        {
            await ServiceProvider.GetRequiredService<ITraceEventPublisher>()
                .PublishAsync(new TraceCreated(trace.Id, trace.Project, state.State.Evaluation!.EvaluateAfter ?? time.GetUtcNow()));
        }
        catch (Exception ex)
        {
            // Not fatal: the reminder re-drives the evaluations.
            LogPublishFailed(logger, ex, trace.Id);
        }
    }

    private EvaluationOptions EvaluationOptions => ServiceProvider.GetRequiredService<IOptions<EvaluationOptions>>().Value;

    /// <summary>Drops a scored evaluator from the pending list; true when that was the last one.</summary>
    private bool MarkEvaluated(TraceScore score)
    {
        if (score.Source != "EVALUATOR" || state.State.Evaluation is not { Pending.Count: > 0 } evaluation)
        {
            return false;
        }

        var pending = evaluation.Pending.Where(e => e.Id != score.EvaluatorId || e.Version != score.EvaluatorVersion).ToList();
        state.State.Evaluation = evaluation with { Pending = pending };
        return pending.Count == 0 && evaluation.Pending.Count > 0;
    }

    private async Task StopRedrivingAsync()
    {
        if (await this.GetReminder(EvaluationReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish TraceCreated for trace {TraceId}; its reminder will re-drive evaluation")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId} re-drives {Count} pending evaluations")]
    private static partial void LogEvaluationRedriven(ILogger logger, string traceId, int count);
}
