using TraceReplay.Grains.Replays;
using Microsoft.Extensions.Options;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// Drives a regression sweep: keeps at most MaxInFlight replays running, refilling the window as they finish, and
/// records each trace's outcome compactly. A periodic grain timer does the work — each tick polls the in-flight
/// replays' snapshots and starts the next ones, so no call here ever waits on an LLM — and a reminder re-drives the
/// sweep after a deactivation or a silo loss. Cancel and the budget stop new starts; in-flight replays finish.
/// Each replay's id follows from the sweep, the trace's place and the attempt (<see cref="SweepReplayId"/>), so the
/// state is checkpointed at most once per <see cref="SweepOptions.CheckpointInterval"/>: a sweep resumed from an older
/// checkpoint re-issues the same starts, which answer with the replays already running, and polls them again.
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
    private IGrainTimer? _driver;

    // Where the search for the next queued entry resumes; entries before it are not queued. Not persisted: a new
    // activation scans from the start once.
    private int _nextQueued;

    // Progress since the last checkpoint (outcomes polled, replays started) that only the next write will store.
    private bool _unsaved;
    private DateTimeOffset _savedAt;

    // Status, counts and spend as of the last stored checkpoint: what clients read, consistent with each other, and never
    // going back when a crash resumes the sweep from that checkpoint (the live entries may be a checkpoint interval ahead).
    private Published? _saved;
    // scoreOriginals: the project's enabled evaluators, read once per activation.
    private IReadOnlyList<EvaluatorDefinition>? _evaluators;

    private List<SweepEntry> Entries => state.State.Entries;

    // Sweeps recover on the same cadence as replays: one period after the cluster declares a silo dead.
    private TimeSpan ReminderPeriod => recovery.Value.ReminderPeriod;

    private bool NeedsDriving =>
        state.State.Definition is not null && (!SweepLifecycle.IsFinished(state.State.Status) || state.State.CompletedAt is null);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _saved = state.State.Definition is null ? null : Publish();
        // A sweep that was running when its previous activation ended resumes at once.
        if (NeedsDriving)
        {
            EnsureDriving();
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A graceful end stores what the last checkpoint missed; a crash is covered by re-issued starts.
        if (_unsaved)
        {
            await SaveAsync(cancellationToken);
        }
    }

    public async Task<SweepSnapshot> StartAsync(SweepDefinition definition)
    {
        if (state.State.Definition is null)
        {
            state.State.Definition = definition with { Targets = [] };
            state.State.Entries = [.. definition.Targets.Select(t => new SweepEntry(
                t.TraceId, t.Name, t.Timestamp, SweepTraceStatus.Queued, OriginalCost: t.Cost, OriginalDurationMs: t.DurationMs))];
            state.State.MaxInFlight = definition.MaxInFlight ?? 0;
            state.State.Status = SweepStatus.Pending;
            await SaveAsync();
            await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
            await GrainFactory.GetGrain<ISweepRegistryGrain>(definition.Project).AddAsync(this.GetPrimaryKeyString());
            LogStarted(logger, this.GetPrimaryKeyString(), definition.Targets.Count);
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
        Task.FromResult<IReadOnlyList<SweepEntry>?>(state.State.Definition is null ? null : [.. Entries]);

    public async Task<SweepResult> CancelAsync()
    {
        if (state.State.Definition is null)
        {
            return SweepResult.Refused(ErrorKind.NotFound, $"sweep '{this.GetPrimaryKeyString()}' not found.");
        }

        if (SweepLifecycle.IsFinished(state.State.Status))
        {
            return SweepResult.Refused(ErrorKind.Conflict,
                $"sweep '{this.GetPrimaryKeyString()}' is already {Upper(state.State.Status)}; only a PENDING or RUNNING sweep can be cancelled.");
        }

        Stop(SweepStatus.Cancelled, "cancelled by request");
        await SaveAsync();
        return new SweepResult(Snapshot(), null);
    }

    public async Task<SweepResult> DeleteAsync()
    {
        var sweepId = this.GetPrimaryKeyString();
        if (Snapshot() is not { } snapshot)
        {
            return SweepResult.Refused(ErrorKind.NotFound, $"sweep '{sweepId}' not found.");
        }

        if (NeedsDriving)
        {
            return SweepResult.Refused(ErrorKind.Conflict,
                $"sweep '{sweepId}' is {Upper(state.State.Status)} with replays still to record; cancel it and wait for it to finish, then delete it.");
        }

        // Pins first: a crash before the state is cleared leaves a sweep that a repeated DELETE finishes deleting.
        await catalog.UnpinAsync(snapshot.Project, PinHolders.Sweep(sweepId));
        await GrainFactory.GetGrain<ISweepRegistryGrain>(snapshot.Project).RemoveAsync(sweepId);
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        await state.ClearStateAsync();
        state.State = new SweepState();
        LogDeleted(logger, sweepId);
        DeactivateOnIdle();
        return new SweepResult(snapshot, null);
    }

    public async Task<SweepResult> RetryFailedAsync()
    {
        if (state.State.Definition is null)
        {
            return SweepResult.Refused(ErrorKind.NotFound, $"sweep '{this.GetPrimaryKeyString()}' not found.");
        }

        if (state.State.Status == SweepStatus.Cancelled)
        {
            return SweepResult.Refused(ErrorKind.Conflict, $"sweep '{this.GetPrimaryKeyString()}' was cancelled; start a new sweep instead.");
        }

        var retried = 0;
        for (var i = 0; i < Entries.Count; i++)
        {
            if (Entries[i].Status == SweepTraceStatus.Failed)
            {
                Entries[i] = Entries[i] with { Status = SweepTraceStatus.Queued, ReplayId = null, Error = null };
                retried++;
            }
        }

        if (retried > 0)
        {
            if (SweepLifecycle.IsFinished(state.State.Status))
            {
                state.State.Status = SweepLifecycle.Move(state.State.Status, SweepStatus.Running);
                state.State.CompletedAt = null;
                state.State.StopReason = null;
            }

            _nextQueued = 0;
            await SaveAsync();
            await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
            EnsureDriving();
            LogRetried(logger, this.GetPrimaryKeyString(), retried);
        }

        return new SweepResult(Snapshot(), null);
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

        // Not interleaved: ticks and cancel/retry take turns, so state writes never overlap. Ticks are short (they
        // poll snapshots and start replays, which return at once); GetAsync is [AlwaysInterleave] and answers meanwhile.
        _driver = this.RegisterGrainTimer(DriveAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = options.Value.PollInterval,
            Interleave = false,
            KeepAlive = true,
        });
    }

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
            }

            // Outcomes polled and replays started are checkpointed, not written each tick (the whole entry list is
            // rewritten each time): a resumed sweep polls or re-issues them with the same replay ids.
            _unsaved |= await PollAsync();
            if (state.State.Status == SweepStatus.Running)
            {
                _unsaved |= await RefillAsync();
            }

            if (FinishIfDone() || state.State.Status != status
                || (_unsaved && time.GetUtcNow() - _savedAt >= options.Value.CheckpointInterval))
            {
                await SaveAsync(cancellationToken);
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
            // The next tick or the reminder tries again; entries already recorded are not redone.
            _nextQueued = 0;
            LogDriveFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    /// <summary>Records the outcome of every in-flight replay that finished.</summary>
    private async Task<bool> PollAsync()
    {
        var running = Enumerable.Range(0, Entries.Count).Where(i => Entries[i].Status == SweepTraceStatus.Running).ToList();
        if (running.Count == 0)
        {
            return false;
        }

        var snapshots = await Task.WhenAll(running.Select(i => GrainFactory.GetGrain<IReplayGrain>(Entries[i].ReplayId!).GetAsync()));

        // Replay traces are pinned before their entries record them: if the pin fails, the next tick polls them again.
        var replayTraces = snapshots.Where(r => r is { Status: ReplayStatus.Completed, ReplayTraceId: not null }).Select(r => r!.ReplayTraceId!).ToList();
        if (replayTraces.Count > 0)
        {
            await catalog.PinAsync(state.State.Definition!.Project, PinHolders.Sweep(this.GetPrimaryKeyString()), replayTraces);
        }

        var changed = false;
        for (var k = 0; k < running.Count; k++)
        {
            var i = running[k];
            var entry = Entries[i];
            SweepEntry? updated = snapshots[k] switch
            {
                null => entry with { Status = SweepTraceStatus.Failed, Error = $"REPLAY_LOST: replay '{entry.ReplayId}' no longer exists." },
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
            if (updated is not null)
            {
                Entries[i] = updated;
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>Starts queued traces until the window is full, the queue is empty or the budget says stop.</summary>
    private async Task<bool> RefillAsync()
    {
        var definition = state.State.Definition!;
        var capacity = state.State.MaxInFlight - Entries.Count(e => e.Status == SweepTraceStatus.Running);
        var batch = new List<int>();
        while (batch.Count < capacity && NextQueued() is { } next)
        {
            batch.Add(next);
            _nextQueued = next + 1;
        }

        if (batch.Count == 0)
        {
            return false;
        }

        var traces = await Task.WhenAll(batch.Select(i => GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(state.State.Definition!.Project, Entries[i].TraceId)).GetAsync()));
        var committed = Committed();
        var toStart = new List<int>();
        string? budgetStop = null;
        for (var k = 0; k < batch.Count; k++)
        {
            var i = batch[k];
            if (traces[k] is not { } trace)
            {
                Entries[i] = Entries[i] with { Status = SweepTraceStatus.Failed, Error = $"TRACE_NOT_FOUND: trace '{Entries[i].TraceId}' no longer exists." };
                continue;
            }

            Func<string?, DatedPrice?> priceOf = definition.Prices is { } snapshot ? snapshot.Find : SweepEstimator.Today(prices);
            decimal? reservation = null;
            if (definition.BudgetUsd is { } budget)
            {
                if (await SweepEstimator.ReserveAsync(GrainFactory, trace, definition.Overrides, priceOf) is not { } reserve)
                {
                    var estimate = SweepEstimator.Estimate(trace, definition.Overrides, priceOf);
                    var why = estimate.UnpricedModels.Count > 0
                        ? $"{string.Join(", ", estimate.UnpricedModels)} has no price"
                        : "an LLM span recorded no completion tokens";
                    Entries[i] = Entries[i] with
                    {
                        Status = SweepTraceStatus.Failed,
                        Error = $"COST_UNKNOWN: {why}, so the budget cannot be kept.",
                    };
                    continue;
                }

                // The ledger: settled spend plus every unsettled reservation; a replay starts only if its own fits.
                if (committed + reserve > budget)
                {
                    budgetStop =
                        $"the next replay (trace '{Entries[i].TraceId}', reserved ${reserve:0.######}) would take spend past the budget of ${budget:0.######} " +
                        $"(spent ${Spend():0.######}, reserved for replays not settled ${committed - Spend():0.######}).";
                    break;
                }

                committed += reserve;
                reservation = reserve;
            }

            toStart.Add(i);
            Entries[i] = Entries[i] with { EstimatedCost = reservation };
        }

        if (definition.ScoreOriginals && toStart.Count > 0)
        {
            await ScoreOriginalsAsync(toStart);
        }

        await Task.WhenAll(toStart.Select(StartOneAsync));

        // Only after this batch started: stopping skips what is still queued.
        if (budgetStop is not null)
        {
            Stop(SweepStatus.BudgetExceeded, budgetStop);
            LogBudgetStop(logger, this.GetPrimaryKeyString(), definition.BudgetUsd!.Value);
        }

        return true;
    }

    /// <summary>
    /// Asks each original about to be replayed to score with the enabled evaluators it has no score from, so an evaluator
    /// created after the traces still compares both sides. Repeating it (a resumed sweep) changes nothing.
    /// </summary>
    private async Task ScoreOriginalsAsync(List<int> indexes)
    {
        var project = state.State.Definition!.Project;
        _evaluators ??= [.. (await GrainFactory.GetGrain<IEvaluatorRegistryGrain>(project).ListAsync()).Where(e => e.Enabled)];
        if (_evaluators.Count == 0)
        {
            return;
        }

        await Task.WhenAll(indexes.Select(i => GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(project, Entries[i].TraceId)).RequestEvaluationsAsync(_evaluators)));
    }

    private async Task StartOneAsync(int index)
    {
        var entry = Entries[index];
        var sweepId = this.GetPrimaryKeyString();
        var trace = GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(state.State.Definition!.Project, entry.TraceId));
        try
        {
            var margin = state.State.Definition!.BudgetUsd is null ? (double?)null : SweepEstimator.CompletionMargin;
            var supervisor = new ReplaySupervisor(sweepId, SweepReplayId.For(sweepId, index, entry.Attempts + 1), state.State.Definition!.Prices, margin);
            var result = await trace.StartReplayAsync(state.State.Definition!.Overrides, supervisor);
            Entries[index] = result.Replay is { } replay
                ? entry with { Status = SweepTraceStatus.Running, ReplayId = replay.Id, Attempts = entry.Attempts + 1 }
                : entry with { Status = SweepTraceStatus.Failed, Error = $"REFUSED: {result.Error!.Message}", Attempts = entry.Attempts + 1 };
        }
        catch (Exception ex)
        {
            // Stays queued; a later tick issues the same start (same replay id), so at most one replay results.
            _nextQueued = Math.Min(_nextQueued, index);
            LogStartFailed(logger, ex, this.GetPrimaryKeyString(), entry.TraceId);
        }
    }

    private int? NextQueued()
    {
        for (var i = _nextQueued; i < Entries.Count; i++)
        {
            if (Entries[i].Status == SweepTraceStatus.Queued)
            {
                return i;
            }
        }

        _nextQueued = Entries.Count;
        return null;
    }

    /// <summary>Start nothing more: the queued traces are skipped, the in-flight ones finish and are counted.</summary>
    private void Stop(SweepStatus status, string reason)
    {
        state.State.Status = SweepLifecycle.Move(state.State.Status, status);
        state.State.StopReason = reason;
        for (var i = 0; i < Entries.Count; i++)
        {
            if (Entries[i].Status == SweepTraceStatus.Queued)
            {
                Entries[i] = Entries[i] with { Status = SweepTraceStatus.Skipped };
            }
        }

        FinishIfDone();
    }

    private bool FinishIfDone()
    {
        if (state.State.CompletedAt is not null || Entries.Any(e => e.Status is SweepTraceStatus.Running or SweepTraceStatus.Queued))
        {
            return false;
        }

        if (state.State.Status == SweepStatus.Running)
        {
            var allFailed = Entries.Count > 0 && Entries.All(e => e.Status == SweepTraceStatus.Failed);
            state.State.Status = SweepLifecycle.Move(SweepStatus.Running, allFailed ? SweepStatus.Failed : SweepStatus.Completed);
            state.State.StopReason = allFailed ? "every replay failed" : null;
        }

        state.State.CompletedAt = time.GetUtcNow();
        LogFinished(logger, this.GetPrimaryKeyString(), Upper(state.State.Status));
        return true;
    }

    private async Task<int> PoolSizeAsync()
    {
        if (options.Value.DefaultMaxInFlight > 0)
        {
            return options.Value.DefaultMaxInFlight;
        }

        // Several replays per pool slot: the calls queued at each silo's pool outlast a poll interval, so a slot that
        // frees between two ticks finds the next call already waiting, whichever silo the replays landed on.
        var silos = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        return Math.Max(1, silos.Count) * LlmSpanWorker.ActivationsPerSilo * SweepOptions.ReplaysPerPoolSlot;
    }

    private async Task SaveAsync(CancellationToken cancellationToken = default)
    {
        await state.WriteStateAsync(cancellationToken);
        _saved = Publish();
    }

    private Published Publish() => new(CountEntries(), Spend(), state.State.Status, state.State.CompletedAt, state.State.StopReason);

    private sealed record Published(SweepCounts Counts, decimal Spend, SweepStatus Status, DateTimeOffset? CompletedAt, string? StopReason);

    private SweepCounts CountEntries()
    {
        var counts = new int[Enum.GetValues<SweepTraceStatus>().Length];
        foreach (var entry in Entries)
        {
            counts[(int)entry.Status]++;
        }

        return new SweepCounts(Entries.Count, counts[(int)SweepTraceStatus.Queued], counts[(int)SweepTraceStatus.Running],
            counts[(int)SweepTraceStatus.Completed], counts[(int)SweepTraceStatus.Failed], counts[(int)SweepTraceStatus.Skipped]);
    }

    /// <summary>
    /// Pins the sweep's sources and, when it has a baseline, the baseline's sources and replay traces, so retention keeps
    /// what its results and its noise comparison read while the sweep exists.
    /// </summary>
    private async Task PinSourcesAsync()
    {
        var definition = state.State.Definition!;
        var ids = Entries.Select(e => e.TraceId).ToList();
        if (definition.BaselineSweepId is { } baselineId
            && await GrainFactory.GetGrain<ISweepGrain>(baselineId).GetEntriesAsync() is { } baseline)
        {
            ids.AddRange(baseline.Select(e => e.TraceId));
            ids.AddRange(baseline.Where(e => e.ReplayTraceId is not null).Select(e => e.ReplayTraceId!));
        }

        await catalog.PinAsync(definition.Project, PinHolders.Sweep(this.GetPrimaryKeyString()), ids);
        state.State.SourcesPinned = true;
        await state.WriteStateAsync();
    }

    private decimal Spend() => Entries.Where(e => e.Status == SweepTraceStatus.Completed).Sum(e => e.Cost ?? 0m);

    /// <summary>
    /// What the budget must cover: completed replays at their real cost (settled), and running ones — and failed ones,
    /// whose partial spend is not reported — at what was reserved for them.
    /// </summary>
    private decimal Committed() => Entries.Sum(e => e.Status switch
    {
        SweepTraceStatus.Completed => e.Cost ?? e.EstimatedCost ?? 0m,
        SweepTraceStatus.Running => e.EstimatedCost ?? 0m,
        SweepTraceStatus.Failed when e.Attempts > 0 => e.EstimatedCost ?? 0m,
        _ => 0m,
    });

    private SweepSnapshot? Snapshot()
    {
        if (state.State.Definition is not { } d)
        {
            return null;
        }

        var (counts, spend, status, completedAt, stopReason) = _saved ?? Publish();
        var (queued, running, completed, failed) = (counts.Queued, counts.Running, counts.Completed, counts.Failed);

        TimeSpan? eta = null;
        if (status == SweepStatus.Running && state.State.StartedAt is { } started && completed + failed > 0)
        {
            var perTrace = (time.GetUtcNow() - started) / (completed + failed);
            eta = perTrace * (queued + running);
        }

        return new SweepSnapshot(
            this.GetPrimaryKeyString(), d.Name, status, d.Overrides, d.FilterDescription, state.State.MaxInFlight,
            d.BudgetUsd, d.RegressionThreshold, d.BaselineSweepId, counts, spend, d.CreatedAt, state.State.StartedAt, completedAt, eta, stopReason, d.Project, d.Prices);
    }

    private static string Upper(SweepStatus status) => status switch
    {
        SweepStatus.BudgetExceeded => "BUDGET_EXCEEDED",
        _ => status.ToString().ToUpperInvariant(),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} started over {Traces} traces")]
    private static partial void LogStarted(ILogger logger, string sweepId, int traces);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} deleted; its pins are released")]
    private static partial void LogDeleted(ILogger logger, string sweepId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} finished: {Status}")]
    private static partial void LogFinished(ILogger logger, string sweepId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} re-queued {Count} failed traces")]
    private static partial void LogRetried(ILogger logger, string sweepId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} stopped before passing its budget of {Budget} USD")]
    private static partial void LogBudgetStop(ILogger logger, string sweepId, decimal budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {SweepId} could not advance; the next tick or its reminder will retry")]
    private static partial void LogDriveFailed(ILogger logger, Exception exception, string sweepId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {SweepId} could not start the replay of trace {TraceId}; it stays queued")]
    private static partial void LogStartFailed(ILogger logger, Exception exception, string sweepId, string traceId);
}
