using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Sweeps;

// The drive: pushes and the safety poll record outcomes; an advance refills the window, finishes and checkpoints.
public sealed partial class SweepGrain
{
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

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (NeedsDriving)
        {
            EnsureDriving();
        }
        else if (await this.GetReminder(ReminderName) is { } reminder)
        {
            // Finished, but a crash came between the last checkpoint and the drive's unregistering: activating for this
            // tick published the sweep's status (OnActivateAsync), so nothing is left for the reminder to do.
            await this.UnregisterReminder(reminder);
        }
    }

    // Ticks are short (they read snapshots and start replays, which return at once); GetAsync is [AlwaysInterleave] and
    // answers meanwhile.
    private void EnsureDriving() => _driver ??= DrivingTimer.Start(this, DriveAsync, options.Value.SafetyPollInterval);

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

            var admission = await SweepBudget.AdmitAsync(GrainFactory, Window, Window[i].TraceId, traces[k], definition, prices);
            if (admission.StopReason is not null)
            {
                budgetStop = admission.StopReason;
                break;
            }

            if (admission.Reserved is not { } reserve)
            {
                Window.Set(i, Window[i] with { Status = SweepTraceStatus.Failed, Error = admission.Error });
                continue;
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
}
