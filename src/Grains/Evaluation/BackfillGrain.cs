using Microsoft.Extensions.Options;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Sweeps;

namespace TraceReplay.Grains.Evaluation;

/// <summary>A backfill's persisted state: its definition (the trace list lives on as the entries), status and entries.</summary>
[GenerateSerializer, Alias("TraceReplay.BackfillState")]
public sealed class BackfillState
{
    [Id(0)] public BackfillDefinition? Definition { get; set; }

    [Id(1)] public BackfillStatus Status { get; set; }

    [Id(2)] public List<BackfillEntry> Entries { get; set; } = [];

    [Id(3)] public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>
/// Scores existing traces with one evaluator. Like a sweep, a periodic non-interleaved timer does the work: each tick
/// asks the next traces of a bounded window to make the evaluator pending (<see cref="ITraceGrain.RequestEvaluationsAsync"/>,
/// which persists it with the catalog's pending flag and starts the trace's EvaluationGrain) and polls the traces in the
/// window until their score is in. Nothing waits on an LLM inside a grain call. Progress is checkpointed at most once a
/// second; a resumed backfill asks again, which changes nothing for a trace already pending or scored, and the reminder
/// resumes it after a silo loss. Evaluation recovery finishes any evaluation whose grain died.
/// </summary>
public sealed partial class BackfillGrain(
    [PersistentState("backfill", TraceReplayNames.SweepStorage)] IPersistentState<BackfillState> state,
    IOptions<SweepOptions> options,
    IOptions<ReplayRecoveryOptions> recovery,
    TimeProvider time,
    ILogger<BackfillGrain> logger) : Grain, IBackfillGrain, IRemindable
{
    /// <summary>Traces being scored at once: each holds LLM pool slots only for LLM judges, which queue at the pool.</summary>
    public const int Window = 16;

    private const string ReminderName = "drive-backfill";
    private IGrainTimer? _driver;
    private bool _unsaved;
    private DateTimeOffset _savedAt;

    private List<BackfillEntry> Entries => state.State.Entries;

    /// <summary>Until it completes; a cancelled backfill until the traces it was scoring are scored.</summary>
    private bool NeedsDriving => state.State.Definition is not null && state.State.CompletedAt is null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (NeedsDriving)
        {
            EnsureDriving();
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unsaved)
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task<BackfillSnapshot> StartAsync(BackfillDefinition definition)
    {
        if (state.State.Definition is null)
        {
            state.State.Definition = definition with { TraceIds = [] };
            state.State.Entries = [.. definition.TraceIds.Select(id => new BackfillEntry(id, BackfillTraceStatus.Queued))];
            state.State.Status = BackfillStatus.Pending;
            await state.WriteStateAsync();
            var period = recovery.Value.ReminderPeriod;
            await this.RegisterOrUpdateReminder(ReminderName, period, period);
            LogStarted(logger, this.GetPrimaryKeyString(), definition.Evaluator.Id, definition.TraceIds.Count);
        }

        EnsureDriving();
        return Snapshot()!;
    }

    public Task<BackfillSnapshot?> GetAsync() => Task.FromResult(Snapshot());

    public async Task<BackfillResult> CancelAsync()
    {
        var backfillId = this.GetPrimaryKeyString();
        if (state.State.Definition is null)
        {
            return BackfillResult.Refused(ErrorKind.NotFound, $"backfill '{backfillId}' not found.");
        }

        if (state.State.Status is BackfillStatus.Completed or BackfillStatus.Cancelled)
        {
            return BackfillResult.Refused(ErrorKind.Conflict,
                $"backfill '{backfillId}' is already {state.State.Status.ToString().ToUpperInvariant()}; only a PENDING or RUNNING backfill can be cancelled.");
        }

        state.State.Status = BackfillStatus.Cancelled;
        for (var i = 0; i < Entries.Count; i++)
        {
            if (Entries[i].Status == BackfillTraceStatus.Queued)
            {
                Entries[i] = Entries[i] with { Status = BackfillTraceStatus.Skipped, Reason = "backfill cancelled" };
            }
        }

        FinishIfIdle();
        await state.WriteStateAsync();
        (_unsaved, _savedAt) = (false, time.GetUtcNow());
        LogCancelled(logger, backfillId, Entries.Count(e => e.Status == BackfillTraceStatus.Scoring));
        return new BackfillResult(Snapshot(), null);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (NeedsDriving)
        {
            EnsureDriving();
        }

        return Task.CompletedTask;
    }

    private void EnsureDriving() => _driver ??= DrivingTimer.Start(this, DriveAsync, options.Value.BackfillPollInterval);

    private async Task DriveAsync(CancellationToken cancellationToken)
    {
        try
        {
            var status = state.State.Status;
            if (status == BackfillStatus.Pending)
            {
                state.State.Status = BackfillStatus.Running;
            }

            var completedAt = state.State.CompletedAt;
            _unsaved |= await PollAsync();
            if (state.State.Status != BackfillStatus.Cancelled)
            {
                _unsaved |= await RefillAsync();
            }

            FinishIfIdle();
            if (state.State.Status != status || state.State.CompletedAt != completedAt
                || (_unsaved && time.GetUtcNow() - _savedAt >= options.Value.CheckpointInterval))
            {
                await state.WriteStateAsync(cancellationToken);
                (_unsaved, _savedAt) = (false, time.GetUtcNow());
            }

            if (!NeedsDriving)
            {
                _driver?.Dispose();
                _driver = null;
                if (await this.GetReminder(ReminderName) is { } reminder)
                {
                    await this.UnregisterReminder(reminder);
                }
            }
        }
        catch (Exception ex)
        {
            // The next tick or the reminder tries again; asking a trace twice changes nothing.
            LogDriveFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    /// <summary>Ends the backfill once no trace is queued or being scored: COMPLETED, or CANCELLED stays and gets its end time.</summary>
    private void FinishIfIdle()
    {
        if (state.State.CompletedAt is not null || Entries.Any(e => e.Status is BackfillTraceStatus.Queued or BackfillTraceStatus.Scoring))
        {
            return;
        }

        if (state.State.Status != BackfillStatus.Cancelled)
        {
            state.State.Status = BackfillStatus.Completed;
        }

        state.State.CompletedAt = time.GetUtcNow();
        LogFinished(logger, this.GetPrimaryKeyString(), Entries.Count(e => e.Status == BackfillTraceStatus.Scored));
    }

    /// <summary>Marks scored every trace in the window whose evaluator is no longer pending.</summary>
    private async Task<bool> PollAsync()
    {
        var evaluator = state.State.Definition!.Evaluator;
        var scoring = Enumerable.Range(0, Entries.Count).Where(i => Entries[i].Status == BackfillTraceStatus.Scoring).ToList();
        if (scoring.Count == 0)
        {
            return false;
        }

        var statuses = await Task.WhenAll(scoring.Select(i => Trace(Entries[i].TraceId).GetEvaluationStatusAsync()));
        var changed = false;
        for (var k = 0; k < scoring.Count; k++)
        {
            if (!statuses[k].Pending.Any(p => p.Id == evaluator.Id && p.Version == evaluator.Version))
            {
                Entries[scoring[k]] = Entries[scoring[k]] with { Status = BackfillTraceStatus.Scored };
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>Asks the next queued traces to score with the evaluator, up to the window.</summary>
    private async Task<bool> RefillAsync()
    {
        var capacity = Window - Entries.Count(e => e.Status == BackfillTraceStatus.Scoring);
        var batch = Enumerable.Range(0, Entries.Count).Where(i => Entries[i].Status == BackfillTraceStatus.Queued).Take(capacity).ToList();
        if (batch.Count == 0)
        {
            return false;
        }

        EvaluatorDefinition[] evaluators = [state.State.Definition!.Evaluator];
        var outcomes = await Task.WhenAll(batch.Select(i => Trace(Entries[i].TraceId).RequestEvaluationsAsync(evaluators)));
        for (var k = 0; k < batch.Count; k++)
        {
            var entry = Entries[batch[k]];
            Entries[batch[k]] = outcomes[k] switch
            {
                EvaluationRequestOutcome.Started => entry with { Status = BackfillTraceStatus.Scoring },
                EvaluationRequestOutcome.AlreadyScored => entry with { Status = BackfillTraceStatus.Scored, Reason = "already scored at this version" },
                EvaluationRequestOutcome.NotFound => entry with { Status = BackfillTraceStatus.Skipped, Reason = "trace not found or purged" },
                _ => entry with { Status = BackfillTraceStatus.Skipped, Reason = "trace not complete yet (no header or root span)" },
            };
        }

        return true;
    }

    private ITraceGrain Trace(string traceId) => GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(state.State.Definition!.Project, traceId));

    private BackfillSnapshot? Snapshot()
    {
        if (state.State.Definition is not { } d)
        {
            return null;
        }

        int Count(BackfillTraceStatus status) => Entries.Count(e => e.Status == status);
        return new BackfillSnapshot(
            this.GetPrimaryKeyString(), d.Project, d.Evaluator.Id, d.Evaluator.Name, d.Evaluator.Version, state.State.Status, d.FilterDescription,
            new BackfillCounts(Entries.Count, Count(BackfillTraceStatus.Queued), Count(BackfillTraceStatus.Scoring), Count(BackfillTraceStatus.Scored),
                Count(BackfillTraceStatus.Skipped)),
            d.CreatedAt, state.State.CompletedAt);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} of evaluator {EvaluatorId} started over {Traces} traces")]
    private static partial void LogStarted(ILogger logger, string backfillId, string evaluatorId, int traces);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} finished: {Scored} traces scored")]
    private static partial void LogFinished(ILogger logger, string backfillId, int scored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} cancelled; {Scoring} traces being scored finish")]
    private static partial void LogCancelled(ILogger logger, string backfillId, int scoring);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill {BackfillId} could not advance; the next tick or its reminder will retry")]
    private static partial void LogDriveFailed(ILogger logger, Exception exception, string backfillId);
}
