using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// Drives a regression sweep: keeps at most MaxInFlight replays running and records each trace's outcome compactly.
/// Each replay it starts tells it when it finished (<see cref="ISweepGrain.ReplayFinishedAsync"/>, one-way); the sweep
/// records the outcome and starts the next trace at once, so a small window keeps the LLM pool fed at any latency. A
/// slow grain timer (<see cref="SweepOptions.SafetyPollInterval"/>) reads the replays it has not heard from — a lost
/// push, or a supervised replay to re-drive after a crash — and a reminder re-drives the sweep after a deactivation or
/// a silo loss. Cancel and the budget stop new starts; in-flight replays finish.
/// The entries live in a <see cref="SweepWindow"/> and are stored in chunks (<see cref="SweepChunkStore"/>): a
/// checkpoint, at most once per <see cref="SweepOptions.CheckpointInterval"/>, writes the chunks that changed. Each
/// replay's id follows from the sweep, the trace's place and the attempt (<see cref="SweepReplayId"/>), so a sweep
/// resumed from an older checkpoint re-issues the same starts, which answer with the replays already running.
/// </summary>
public sealed partial class SweepGrain(
    [PersistentState("sweep", TraceReplayNames.SweepStorage)] IPersistentState<SweepState> state,
    ModelPriceTable prices,
    ITraceCatalog catalog,
    IOptions<SweepOptions> options,
    IOptions<ReplayRecoveryOptions> recovery,
    TimeProvider time,
    ILogger<SweepGrain> logger) : Grain, ISweepGrain, IRemindable
{
    private const string ReminderName = "drive-sweep";

    // The longest an advance refills in one turn before it lets queued calls in and continues in the next.
    private static readonly TimeSpan MaxAdvanceTurn = TimeSpan.FromSeconds(1);
    private IGrainTimer? _driver;
    private IGrainTimer? _advance;

    // The entries with their counts, window and ledger; null until the sweep exists.
    private SweepWindow? _window;
    private SweepChunkStore? _chunks;

    // Replay traces recorded since the last checkpoint: pinned before the chunks that record them are stored.
    private readonly List<string> _unpinned = [];

    // The head (status, times, entry count) changed since it was stored.
    private bool _headChanged;
    private DateTimeOffset _savedAt;

    // Status, counts and spend as of the last stored checkpoint: what clients read, consistent with each other, and never
    // going back when a crash resumes the sweep from that checkpoint (the live entries may be a checkpoint interval ahead).
    private Published? _saved;
    // scoreOriginals: the project's enabled evaluators, read once per activation.
    private IReadOnlyList<EvaluatorDefinition>? _evaluators;

    private SweepWindow Window => _window ?? throw new InvalidOperationException("The sweep has no entries yet.");

    private string SweepId => this.GetPrimaryKeyString();

    // Sweeps recover on the same cadence as replays: one period after the cluster declares a silo dead.
    private TimeSpan ReminderPeriod => recovery.Value.ReminderPeriod;

    private bool NeedsDriving =>
        state.State.Definition is not null && (!SweepLifecycle.IsFinished(state.State.Status) || state.State.CompletedAt is null);

    private bool Unsaved => _headChanged || _unpinned.Count > 0 || Window.DirtyChunkCount > 0;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _chunks = new SweepChunkStore(ServiceProvider.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.SweepStorage), SweepId);
        if (state.State.Definition is null)
        {
            return;
        }

        if (state.State.Entries.Count > 0)
        {
            // Stored before entries were chunked: the next checkpoint moves them into chunks.
            _window = new SweepWindow(state.State.Entries);
            _window.MarkAllDirty();
            _headChanged = true;
        }
        else
        {
            _window = new SweepWindow(await _chunks.ReadAsync(SweepWindow.ChunkCount(state.State.EntryCount)));
        }

        _saved = Publish();
        // A sweep that was running when its previous activation ended resumes at once.
        if (NeedsDriving)
        {
            EnsureDriving();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A graceful end stores what the last checkpoint missed; a crash is covered by re-issued starts.
        if (_window is not null && Unsaved)
        {
            await SaveAsync();
        }
    }

    public async Task<SweepSnapshot> StartAsync(SweepDefinition definition)
    {
        if (state.State.Definition is null)
        {
            _window = new SweepWindow(definition.Targets.Select(t => new SweepEntry(
                t.TraceId, t.Name, t.Timestamp, SweepTraceStatus.Queued, OriginalCost: t.Cost, OriginalDurationMs: t.DurationMs)));
            _window.MarkAllDirty();
            state.State.Definition = definition with { Targets = [] };
            state.State.EntryCount = _window.Count;
            state.State.MaxInFlight = definition.MaxInFlight ?? 0;
            state.State.Status = SweepStatus.Pending;
            _headChanged = true;
            await SaveAsync();
            await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
            await GrainFactory.GetGrain<ISweepRegistryGrain>(definition.Project).AddAsync(SweepId);
            LogStarted(logger, SweepId, definition.Targets.Count);
        }

        if (!state.State.SourcesPinned)
        {
            await PinSourcesAsync();
        }

        EnsureDriving();
        return Snapshot()!;
    }

    public Task<SweepSnapshot?> GetAsync() => Task.FromResult(Snapshot());

    public Task<IReadOnlyList<SweepEntry>?> GetEntriesAsync() =>
        Task.FromResult<IReadOnlyList<SweepEntry>?>(_window is null ? null : [.. _window.Entries]);

    public async Task<SweepResult> CancelAsync()
    {
        if (state.State.Definition is null)
        {
            return SweepResult.Refused(ErrorKind.NotFound, $"sweep '{SweepId}' not found.");
        }

        if (SweepLifecycle.IsFinished(state.State.Status))
        {
            return SweepResult.Refused(ErrorKind.Conflict,
                $"sweep '{SweepId}' is already {Upper(state.State.Status)}; only a PENDING or RUNNING sweep can be cancelled.");
        }

        Stop(SweepStatus.Cancelled, "cancelled by request");
        await SaveAsync();
        return new SweepResult(Snapshot(), null);
    }

    public async Task<SweepResult> DeleteAsync()
    {
        if (Snapshot() is not { } snapshot)
        {
            return SweepResult.Refused(ErrorKind.NotFound, $"sweep '{SweepId}' not found.");
        }

        if (NeedsDriving)
        {
            return SweepResult.Refused(ErrorKind.Conflict,
                $"sweep '{SweepId}' is {Upper(state.State.Status)} with replays still to record; cancel it and wait for it to finish, then delete it.");
        }

        // Pins first: a crash before the state is cleared leaves a sweep that a repeated DELETE finishes deleting.
        await catalog.UnpinAsync(snapshot.Project, PinHolders.Sweep(SweepId));
        await GrainFactory.GetGrain<ISweepRegistryGrain>(snapshot.Project).RemoveAsync(SweepId);
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        await _chunks!.ClearAsync(SweepWindow.ChunkCount(state.State.EntryCount));
        await state.ClearStateAsync();
        state.State = new SweepState();
        _window = null;
        LogDeleted(logger, SweepId);
        DeactivateOnIdle();
        return new SweepResult(snapshot, null);
    }

    public async Task<SweepResult> RetryFailedAsync()
    {
        if (state.State.Definition is null)
        {
            return SweepResult.Refused(ErrorKind.NotFound, $"sweep '{SweepId}' not found.");
        }

        if (state.State.Status == SweepStatus.Cancelled)
        {
            return SweepResult.Refused(ErrorKind.Conflict, $"sweep '{SweepId}' was cancelled; start a new sweep instead.");
        }

        var retried = Window.RequeueFailed();
        if (retried > 0)
        {
            if (SweepLifecycle.IsFinished(state.State.Status))
            {
                state.State.Status = SweepLifecycle.Move(state.State.Status, SweepStatus.Running);
                state.State.CompletedAt = null;
                state.State.StopReason = null;
                _headChanged = true;
            }

            await SaveAsync();
            await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
            EnsureDriving();
            LogRetried(logger, SweepId, retried);
        }

        return new SweepResult(Snapshot(), null);
    }

    public Task ReplayFinishedAsync(ReplaySnapshot replay)
    {
        if (_window is null || !_window.Running.TryGetValue(replay.Id, out var index))
        {
            // Already recorded (by the safety poll, or a repeated push), or not this sweep's current attempt.
            return Task.CompletedTask;
        }

        Record(index, replay);
        ScheduleAdvance();
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (NeedsDriving)
        {
            EnsureDriving();
        }

        return Task.CompletedTask;
    }

    private void EnsureDriving()
    {
        if (_driver is not null)
        {
            return;
        }

        // Not interleaved: ticks, pushes and cancel/retry take turns, so state writes never overlap. Ticks are short (they
        // read snapshots and start replays, which return at once); GetAsync is [AlwaysInterleave] and answers meanwhile.
        _driver = this.RegisterGrainTimer(DriveAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = options.Value.SafetyPollInterval,
            Interleave = false,
            KeepAlive = true,
        });
    }

    /// <summary>
    /// Advances the sweep right after the pushes already waiting in the grain's queue: a one-shot timer's tick is queued
    /// behind them, so the replays they freed start together, in parallel, rather than one start call after another.
    /// </summary>
    private void ScheduleAdvance()
    {
        if (_advance is not null)
        {
            return;
        }

        _advance = this.RegisterGrainTimer(async _ =>
        {
            _advance?.Dispose();
            _advance = null;
            try
            {
                await AdvanceAsync(state.State.Status);
            }
            catch (Exception ex)
            {
                // The safety poll's tick advances it again.
                LogDriveFailed(logger, ex, SweepId);
            }
        }, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, Interleave = false });
    }

    /// <summary>The timer's tick: starts a pending sweep, reads the replays not heard from, then advances.</summary>
    private async Task DriveAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!state.State.SourcesPinned)
            {
                await PinSourcesAsync();
            }

            var status = state.State.Status;
            if (status == SweepStatus.Pending)
            {
                state.State.MaxInFlight = state.State.MaxInFlight > 0 ? state.State.MaxInFlight : await PoolSizeAsync();
                state.State.Status = SweepLifecycle.Move(SweepStatus.Pending, SweepStatus.Running);
                state.State.StartedAt = time.GetUtcNow();
                _headChanged = true;
            }

            await PollAsync();
            await AdvanceAsync(status);

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
            // The next tick or the reminder tries again; entries already recorded are not redone.
            LogDriveFailed(logger, ex, SweepId);
        }
    }

    /// <summary>
    /// Refills the window, finishes a drained sweep, and checkpoints: at once when the status moved from
    /// <paramref name="statusBefore"/> or the sweep finished, else at most once per checkpoint interval.
    /// </summary>
    private async Task AdvanceAsync(SweepStatus statusBefore)
    {
        // Traces that end without running (missing, refused, unpriced) push nothing: refill again at once, for up to a
        // moment per turn so pushes, reads and a cancel are not held up; then the rest follows in a turn of its own.
        var started = time.GetUtcNow();
        while (state.State.Status == SweepStatus.Running && await RefillAsync())
        {
            if (time.GetUtcNow() - started > MaxAdvanceTurn)
            {
                ScheduleAdvance();
                break;
            }
        }

        if (FinishIfDone() || state.State.Status != statusBefore
            || (Unsaved && time.GetUtcNow() - _savedAt >= options.Value.CheckpointInterval))
        {
            await SaveAsync();
        }
    }

    /// <summary>Safety poll: records the outcome of every in-flight replay that finished without its push arriving.</summary>
    private async Task PollAsync()
    {
        var running = Window.Running.ToList();
        if (running.Count == 0)
        {
            return;
        }

        var snapshots = await Task.WhenAll(running.Select(r => GrainFactory.GetGrain<IReplayGrain>(r.Key).GetAsync()));
        for (var k = 0; k < running.Count; k++)
        {
            var (replayId, index) = running[k];
            if (Window[index].ReplayId != replayId || Window[index].Status != SweepTraceStatus.Running)
            {
                continue;
            }

            if (snapshots[k] is { } snapshot)
            {
                Record(index, snapshot);
            }
            else
            {
                Window.Set(index, Window[index] with { Status = SweepTraceStatus.Failed, Error = $"REPLAY_LOST: replay '{replayId}' no longer exists." });
            }
        }
    }

    /// <summary>Records a finished replay's outcome on its entry; a replay still running changes nothing.</summary>
    private void Record(int index, ReplaySnapshot replay)
    {
        var entry = Window[index];
        SweepEntry? updated = replay switch
        {
            { Status: ReplayStatus.Completed } r => entry with
            {
                Status = SweepTraceStatus.Completed, ReplayTraceId = r.ReplayTraceId, Cost = r.Result?.TotalCost, DurationMs = r.Result?.DurationMs,
                Decisions = r.Decisions, Divergence = r.Divergence,
            },
            { Status: ReplayStatus.Failed } r => entry with
            {
                Status = SweepTraceStatus.Failed, Error = r.Error is { } e ? $"{e.Code}: {e.Message}" : "FAILED",
            },
            _ => null,
        };
        if (updated is null)
        {
            return;
        }

        Window.Set(index, updated);
        if (updated.ReplayTraceId is { } replayTraceId)
        {
            _unpinned.Add(replayTraceId);
        }
    }

    /// <summary>
    /// Starts queued traces until the window is full, the queue is empty or the budget says stop. True when traces
    /// ended without running and left room a next round can fill.
    /// </summary>
    private async Task<bool> RefillAsync()
    {
        var definition = state.State.Definition!;
        var batch = Window.TakeQueued(state.State.MaxInFlight - Window.Running.Count);
        if (batch.Count == 0)
        {
            return false;
        }

        // Only a budget needs the traces here (to reserve their cost); without one the start itself answers a missing trace.
        var traces = definition.BudgetUsd is null
            ? null
            : await Task.WhenAll(batch.Select(i => GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(definition.Project, Window[i].TraceId)).GetAsync()));
        var toStart = new List<(int Index, decimal Reserved)>();
        string? budgetStop = null;
        for (var k = 0; k < batch.Count; k++)
        {
            var i = batch[k];
            if (traces is null)
            {
                toStart.Add((i, 0m));
                continue;
            }

            if (traces[k] is not { } trace)
            {
                Window.Set(i, Window[i] with { Status = SweepTraceStatus.Failed, Error = $"TRACE_NOT_FOUND: trace '{Window[i].TraceId}' no longer exists." });
                continue;
            }

            Func<string?, DatedPrice?> priceOf = definition.Prices is { } snapshot ? snapshot.Find : SweepEstimator.Today(prices);
            if (await SweepEstimator.ReserveAsync(GrainFactory, trace, definition.Overrides, priceOf) is not { } reserve)
            {
                var estimate = SweepEstimator.Estimate(trace, definition.Overrides, priceOf);
                var why = estimate.UnpricedModels.Count > 0
                    ? $"{string.Join(", ", estimate.UnpricedModels)} has no price"
                    : "an LLM span recorded no completion tokens";
                Window.Set(i, Window[i] with { Status = SweepTraceStatus.Failed, Error = $"COST_UNKNOWN: {why}, so the budget cannot be kept." });
                continue;
            }

            // The ledger: settled spend plus every unsettled reservation; a replay starts only if its own fits.
            if (!Window.TryReserve(reserve, definition.BudgetUsd!.Value))
            {
                var spend = Window.Spend;
                budgetStop =
                    $"the next replay (trace '{Window[i].TraceId}', reserved ${reserve:0.######}) would take spend past the budget of ${definition.BudgetUsd:0.######} " +
                    $"(spent ${spend:0.######}, reserved for replays not settled ${Window.Committed - spend:0.######}).";
                break;
            }

            Window.Set(i, Window[i] with { EstimatedCost = reserve });
            toStart.Add((i, reserve));
        }

        if (definition.ScoreOriginals && toStart.Count > 0)
        {
            await ScoreOriginalsAsync(toStart);
        }

        var startsIssued = await Task.WhenAll(toStart.Select(s => StartOneAsync(s.Index, s.Reserved)));

        // Only after this batch started: stopping skips what is still queued.
        if (budgetStop is not null)
        {
            Stop(SweepStatus.BudgetExceeded, budgetStop);
            LogBudgetStop(logger, SweepId, definition.BudgetUsd!.Value);
            return false;
        }

        // A start that failed to answer is retried by a later tick, not in a tight loop.
        return startsIssued.All(issued => issued) && Window.Running.Count < state.State.MaxInFlight;
    }

    /// <summary>
    /// Asks each original about to be replayed to score with the enabled evaluators it has no score from, so an evaluator
    /// created after the traces still compares both sides. Repeating it (a resumed sweep) changes nothing.
    /// </summary>
    private async Task ScoreOriginalsAsync(List<(int Index, decimal Reserved)> starts)
    {
        var project = state.State.Definition!.Project;
        _evaluators ??= [.. (await GrainFactory.GetGrain<IEvaluatorRegistryGrain>(project).ListAsync()).Where(e => e.Enabled)];
        if (_evaluators.Count == 0)
        {
            return;
        }

        await Task.WhenAll(starts.Select(s => GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(project, Window[s.Index].TraceId)).RequestEvaluationsAsync(_evaluators)));
    }

    /// <summary>Starts the replay of one entry; false when the start did not answer, so the entry stays queued.</summary>
    private async Task<bool> StartOneAsync(int index, decimal reserved)
    {
        var entry = Window[index];
        var definition = state.State.Definition!;
        var trace = GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(definition.Project, entry.TraceId));
        try
        {
            var margin = definition.BudgetUsd is null ? (double?)null : SweepEstimator.CompletionMargin;
            var supervisor = new ReplaySupervisor(SweepId, SweepReplayId.For(SweepId, index, entry.Attempts + 1), definition.Prices, margin);
            var result = await trace.StartReplayAsync(definition.Overrides, supervisor);
            Window.Set(index, result switch
            {
                { Replay: { } replay } => entry with { Status = SweepTraceStatus.Running, ReplayId = replay.Id, Attempts = entry.Attempts + 1 },
                { Error.Kind: ErrorKind.NotFound } => entry with
                {
                    Status = SweepTraceStatus.Failed, Error = $"TRACE_NOT_FOUND: trace '{entry.TraceId}' no longer exists.", Attempts = entry.Attempts + 1,
                },
                _ => entry with { Status = SweepTraceStatus.Failed, Error = $"REFUSED: {result.Error!.Message}", Attempts = entry.Attempts + 1 },
            });
            return true;
        }
        catch (Exception ex)
        {
            // Stays queued; a later refill issues the same start (same replay id), so at most one replay results.
            Window.Return(index);
            LogStartFailed(logger, ex, SweepId, entry.TraceId);
            return false;
        }
        finally
        {
            // From here the entry carries the reservation (running, failed), or nothing does (still queued).
            Window.Release(reserved);
        }
    }

    /// <summary>Start nothing more: the queued traces are skipped, the in-flight ones finish and are counted.</summary>
    private void Stop(SweepStatus status, string reason)
    {
        state.State.Status = SweepLifecycle.Move(state.State.Status, status);
        state.State.StopReason = reason;
        _headChanged = true;
        Window.SkipQueued();
        FinishIfDone();
    }

    private bool FinishIfDone()
    {
        if (state.State.CompletedAt is not null || !Window.IsDrained)
        {
            return false;
        }

        if (state.State.Status == SweepStatus.Running)
        {
            var allFailed = Window.AllFailed;
            state.State.Status = SweepLifecycle.Move(SweepStatus.Running, allFailed ? SweepStatus.Failed : SweepStatus.Completed);
            state.State.StopReason = allFailed ? "every replay failed" : null;
        }

        state.State.CompletedAt = time.GetUtcNow();
        _headChanged = true;
        LogFinished(logger, SweepId, Upper(state.State.Status));
        return true;
    }

    private async Task<int> PoolSizeAsync()
    {
        if (options.Value.DefaultMaxInFlight > 0)
        {
            return options.Value.DefaultMaxInFlight;
        }

        // A few replays per pool slot: each replay's calls wait their turn at its silo's pool, so a slot that frees finds
        // the next call already waiting, whichever silo the replays landed on.
        var silos = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        return Math.Max(1, silos.Count) * LlmSpanWorker.ActivationsPerSilo * SweepOptions.ReplaysPerPoolSlot;
    }

    /// <summary>
    /// Pins the sweep's sources and, when it has a baseline, the baseline's sources and replay traces, so retention keeps
    /// what its results and its noise comparison read while the sweep exists.
    /// </summary>
    private async Task PinSourcesAsync()
    {
        var definition = state.State.Definition!;
        var ids = Window.Entries.Select(e => e.TraceId).ToList();
        if (definition.BaselineSweepId is { } baselineId
            && await GrainFactory.GetGrain<ISweepGrain>(baselineId).GetEntriesAsync() is { } baseline)
        {
            ids.AddRange(baseline.Select(e => e.TraceId));
            ids.AddRange(baseline.Where(e => e.ReplayTraceId is not null).Select(e => e.ReplayTraceId!));
        }

        await catalog.PinAsync(definition.Project, PinHolders.Sweep(SweepId), ids);
        state.State.SourcesPinned = true;
        await state.WriteStateAsync();
    }

    /// <summary>
    /// A checkpoint: pins the replay traces recorded since the last one, writes the chunks that changed, then the head
    /// if it changed. Chunks that could not be written stay marked and go with the next checkpoint.
    /// </summary>
    private async Task SaveAsync()
    {
        // Replay traces are pinned before the entries that record them are stored.
        if (_unpinned.Count > 0)
        {
            await catalog.PinAsync(state.State.Definition!.Project, PinHolders.Sweep(SweepId), _unpinned);
            _unpinned.Clear();
        }

        var (failed, error) = await _chunks!.WriteAsync(Window.TakeDirtyChunks());
        if (error is not null)
        {
            Window.MarkDirty(failed);
            ExceptionDispatchInfo.Throw(error);
        }

        if (_headChanged)
        {
            state.State.Entries = [];
            state.State.EntryCount = Window.Count;
            await state.WriteStateAsync();
            _headChanged = false;
        }

        _savedAt = time.GetUtcNow();
        _saved = Publish();
    }

    private Published Publish() => new(Window.Counts, Window.Spend, state.State.Status, state.State.CompletedAt, state.State.StopReason);

    private sealed record Published(SweepCounts Counts, decimal Spend, SweepStatus Status, DateTimeOffset? CompletedAt, string? StopReason);

    private SweepSnapshot? Snapshot()
    {
        if (state.State.Definition is not { } d)
        {
            return null;
        }

        var (counts, spend, status, completedAt, stopReason) = _saved ?? Publish();
        var eta = SweepProgress.EstimatedTimeRemaining(status, state.State.StartedAt, time.GetUtcNow(), counts);
        return new SweepSnapshot(
            SweepId, d.Name, status, d.Overrides, d.FilterDescription, state.State.MaxInFlight,
            d.BudgetUsd, d.RegressionThreshold, d.BaselineSweepId, counts, spend, d.CreatedAt, state.State.StartedAt, completedAt, eta, stopReason, d.Project, d.Prices);
    }

    private static string Upper(SweepStatus status) => status switch
    {
        SweepStatus.BudgetExceeded => "BUDGET_EXCEEDED",
        _ => status.ToString().ToUpperInvariant(),
    };
}
