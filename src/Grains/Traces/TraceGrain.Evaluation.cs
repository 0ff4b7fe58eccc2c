using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TraceReplay.Grains.Evaluation;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// The trace's side of evaluation. When the trace counts as created — an ingested trace once it has its header and a
/// root span, a replay trace at once — it snapshots the project's enabled evaluators as pending, persists them with
/// the trace's body and a catalog row marked "evaluations pending", then publishes TraceCreated. Each evaluator score
/// removes its evaluator (id and version) from the pending list, kept from then on in the activity with the scores (the
/// body is not rewritten); after the last one the catalog row is marked evaluated.
/// <see cref="EvaluationRecoveryGrain"/> re-drives rows still marked pending. Span batches that arrive after scoring
/// started are not re-scored.
/// </summary>
public sealed partial class TraceGrain : IRemindable
{
    public Task<EvaluationStatus> GetEvaluationStatusAsync() => Task.FromResult(Evaluation ?? EvaluationStatus.None);

    public async Task RedriveEvaluationsAsync()
    {
        // A purged trace keeps no evaluation status, so it is only marked evaluated.
        if (Evaluation is not { Pending.Count: > 0 } evaluation || state.State.Trace is not { } trace || activity.State.PurgedAt is not null)
        {
            await MarkCatalogEvaluatedAsync();
            return;
        }

        LogEvaluationRedriven(logger, trace.Id, evaluation.Pending.Count);
        await GrainFactory.GetGrain<IEvaluationGrain>(this.GetPrimaryKeyString())
            .StartAsync(new TraceCreated(trace.Id, trace.Project, evaluation.EvaluateAfter ?? time.GetUtcNow()));
    }

    public async Task<EvaluationRequestOutcome> RequestEvaluationsAsync(IReadOnlyList<EvaluatorDefinition> evaluators)
    {
        if (state.State.Trace is not { } trace || activity.State.PurgedAt is not null)
        {
            return EvaluationRequestOutcome.NotFound;
        }

        if (Evaluation is not { } evaluation)
        {
            return EvaluationRequestOutcome.NotCreated;
        }

        bool Scored(EvaluatorDefinition e) =>
            activity.State.Scores.Any(s => s.Source == "EVALUATOR" && s.EvaluatorId == e.Id && s.EvaluatorVersion == e.Version);
        bool Pending(EvaluatorDefinition e) => evaluation.Pending.Any(p => p.Id == e.Id && p.Version == e.Version);

        var wanted = evaluators.Where(e => !Scored(e)).ToList();
        if (wanted.Count == 0)
        {
            return EvaluationRequestOutcome.AlreadyScored;
        }

        var added = wanted.Where(e => !Pending(e)).ToList();
        var now = time.GetUtcNow();
        if (added.Count > 0)
        {
            // Persisted with the catalog row's pending flag: evaluation recovery re-drives it if this activation dies.
            activity.State.Evaluation = evaluation with { Total = evaluation.Total + added.Count, Pending = [.. evaluation.Pending, .. added], EvaluateAfter = now };
            await activity.WriteStateAsync();
            _historyUnsaved = false;
            await catalog.UpsertAsync(TraceCatalogRow.From(trace, Evaluation));
        }

        await GrainFactory.GetGrain<IEvaluationGrain>(this.GetPrimaryKeyString()).StartAsync(new TraceCreated(trace.Id, trace.Project, now));
        return EvaluationRequestOutcome.Started;
    }

    /// <summary>
    /// Retires the per-trace re-drive reminder ("redrive-evaluations") that versions before the catalog's pending flag
    /// registered; a trace registers none now. Writes the trace's catalog row with its pending flag, so evaluation
    /// recovery takes the trace over, and unregisters the reminder.
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Trace is { } trace)
        {
            await catalog.UpsertAsync(TraceCatalogRow.From(trace, Evaluation));
        }

        if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>
    /// Takes the evaluator snapshot into the state when the trace has just become complete enough to score; the caller
    /// persists it with the trace in one write, then calls <see cref="StartEvaluationsAsync"/>. False when nothing is due.
    /// </summary>
    private async Task<bool> SnapshotEvaluationsAsync(bool complete)
    {
        if (Evaluation is not null || state.State.Trace is not { } trace
            || (!complete && !(trace.HasHeader && trace.Spans.Any(s => s.ParentSpanId is null))))
        {
            return false;
        }

        var enabled = (await GrainFactory.GetGrain<IEvaluatorRegistryGrain>(trace.Project).ListAsync()).Where(e => e.Enabled).ToList();
        var evaluateAfter = time.GetUtcNow() + (complete ? TimeSpan.Zero : EvaluationOptions.SettleDelay);
        state.State.Evaluation = new EvaluationStatus(enabled.Count, enabled, evaluateAfter);
        return enabled.Count > 0;
    }

    /// <summary>After the snapshot and its catalog row are persisted: the TraceCreated event.</summary>
    private async Task StartEvaluationsAsync()
    {
        var trace = state.State.Trace!;
        try
        {
            await ServiceProvider.GetRequiredService<ITraceEventPublisher>()
                .PublishAsync(new TraceCreated(trace.Id, trace.Project, Evaluation!.EvaluateAfter ?? time.GetUtcNow()));
        }
        catch (Exception ex)
        {
            // Not fatal: the catalog row says evaluations are pending, and evaluation recovery re-drives them.
            LogPublishFailed(logger, ex, trace.Id);
        }
    }

    private EvaluationOptions EvaluationOptions => ServiceProvider.GetRequiredService<IOptions<EvaluationOptions>>().Value;

    /// <summary>Drops a scored evaluator from the pending list; true when that was the last one.</summary>
    private bool MarkEvaluated(TraceScore score)
    {
        if (score.Source != "EVALUATOR" || Evaluation is not { Pending.Count: > 0 } evaluation)
        {
            return false;
        }

        var pending = evaluation.Pending.Where(e => e.Id != score.EvaluatorId || e.Version != score.EvaluatorVersion).ToList();
        activity.State.Evaluation = evaluation with { Pending = pending };
        return pending.Count == 0 && evaluation.Pending.Count > 0;
    }

    /// <summary>Clears the catalog row's pending flag: after the last score, or when a re-drive finds nothing pending.</summary>
    private Task MarkCatalogEvaluatedAsync()
    {
        var (project, traceId) = TraceKeys.Parse(this.GetPrimaryKeyString());
        return catalog.MarkEvaluatedAsync(project, traceId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish TraceCreated for trace {TraceId}; evaluation recovery will re-drive it")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId} re-drives {Count} pending evaluations")]
    private static partial void LogEvaluationRedriven(ILogger logger, string traceId, int count);
}
