using Microsoft.Extensions.Options;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Telemetry;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Grains.Replays;

/// <summary>
/// Drives one replay: RUNNING, then each LLM span through the silo's <see cref="LlmPool"/> (all at once, or one after
/// another when chained — see <see cref="ChainedReplayPlanner"/>), persisting each result as it arrives, then the new trace (its id derived from the replay id), then COMPLETED or FAILED.
/// Its own state is written at admission and on failure only: results are appended to the <see cref="IReplayResultJournal"/>
/// as they arrive (a row each, not a state write), and the trace with every result and the COMPLETED state are one write
/// of the new trace's body (<see cref="ReplayRecord"/>); an activation recovers them from there. A one-shot
/// interleaving timer does the work right away; after a crash or deactivation a reminder re-drives it — or, for a
/// replay a sweep started, the sweep's next poll (<see cref="ReplayState.SupervisedBy"/>).
/// Placed at random: its LLM calls run in the pool of the silo it lands on, and the default resource-optimised
/// placement looks at CPU and memory, not at pool queues, so it piled replays onto one silo and left the other's pool idle.
/// Planned once: the admission (<see cref="StartAsync"/>) is handed the source trace, plans and validates there, and
/// keeps trace and plan in memory for the run; only a drive after a crash or a deactivation reads and plans them again.
/// </summary>
[Orleans.Placement.RandomPlacement]
public sealed partial class ReplayGrain(
    [PersistentState("replay", TraceReplayNames.ReplayStorage)] IPersistentState<ReplayState> state,
    LlmPool pool,
    ModelPriceTable prices,
    LlmProviderRegistry providers,
    IReplayResultJournal journal,
    TimeProvider time,
    IOptions<ReplayRecoveryOptions> recovery,
    ILogger<ReplayGrain> logger) : Grain, IReplayGrain, IRemindable
{
    private const string ReminderName = "drive-replay";
    private IGrainTimer? _driver;

    /// <summary>Drives that failed in a row are retried this many times with a short backoff, then left to the reminder.</summary>
    internal const int QuickRetries = 150;

    /// <summary>The longest wait between quick retries: work resumes within it once the database answers again.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    // When this activation's last drive failed: a supervisor's polls retry it no sooner than a reminder would.
    private DateTimeOffset? _driveFailedAt;
    private int _failedDrives;

    // Results known to be stored: what progress reports, so it never goes back when an unsaved result is lost.
    private int _savedResults;

    // Results received and not journaled yet (an append failed, or they are the last ones, stored with the new trace).
    private readonly List<JournaledResult> _unjournaled = [];

    // Whether this replay may have rows in the journal: they are discarded once it has finished.
    private bool _journalUsed;

    // A completed replay recovered from its new trace: how many LLM spans it replayed (the results are in the trace's spans).
    private int? _recoveredSpans;

    // The source trace and the plan made from it at admission, for this activation's run; null after a reactivation.
    private TraceData? _source;
    private ReplayPlan? _plan;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Lifecycle is { IsFinished: false })
        {
            await RecoverAsync();
        }

        _savedResults = state.State.Results.Count;
        // A replay that was running when its previous activation ended (deactivation, silo loss) resumes at once.
        if (NeedsDriving)
        {
            EnsureDriving();
        }
    }

    /// <summary>
    /// A replay stored unfinished takes the final state an earlier activation stored in its new trace's body, when it
    /// completed; else the results finished so far, from the journal (and its quota slot again).
    /// </summary>
    private async Task RecoverAsync()
    {
        var s = state.State;
        var replayId = this.GetPrimaryKeyString();
        var replayTrace = GrainFactory.GetGrain<IReplayTraceGrain>(ReplayTraceKey);
        var record = await replayTrace.GetReplayRecordAsync();
        if (record?.Outcome is { } outcome)
        {
            // Its catalog row first: the silo that stored the outcome may have been lost before the row was written, and
            // a client that sees COMPLETED expects to find the new trace in the listing.
            await replayTrace.EnsureCatalogedAsync();
            Adopt(outcome);
            _recoveredSpans = outcome.CompletedSpans;
            // Not stored: an unsupervised replay drops its reminder only once its source recorded the outcome; a supervised
            // one reports it again (the source writes nothing for a repeat) and pushes it to its sweep again (ignored there).
            s.OriginNotified = s.SupervisedBy is null && await this.GetReminder(ReminderName) is null;
            // Its rows were discarded after the completion write, unless the silo was lost in between.
            journal.DiscardAsync(replayId).Ignore();
            return;
        }

        // A record without an outcome holds results stored in the trace's body by an earlier version.
        var results = new Dictionary<string, SpanResult>(record?.Results ?? new Dictionary<string, SpanResult>(), StringComparer.Ordinal);
        List<DatedPrice> pricesUsed = [.. record?.PricesUsed ?? []];
        var startedAt = record?.StartedAt;
        foreach (var row in await journal.ReadAsync(replayId))
        {
            results[row.Result.SourceSpanId] = row.Result;
            if (row.Price is { } price && !pricesUsed.Contains(price))
            {
                pricesUsed.Add(price);
            }

            startedAt = startedAt is { } earlier && earlier <= row.StartedAt ? earlier : row.StartedAt;
            _journalUsed = true;
        }

        if (startedAt is { } started)
        {
            s.Results = results;
            s.PricesUsed = pricesUsed;
            if (s.Lifecycle!.Status == ReplayStatus.Pending)
            {
                s.Lifecycle = s.Lifecycle.Start(started);
            }
        }

        if (s.HoldsQuotaSlot)
        {
            // Not awaited: the quota grain may be the caller that activated this replay (its pruning reads replays).
            GrainFactory.GetGrain<IProjectQuotaGrain>(Project).HoldAsync(QuotaKind.Replays, this.GetPrimaryKeyString()).Ignore();
        }
    }

    public async Task<ReplayStartResult> StartAsync(ReplayStart start)
    {
        if (state.State.Lifecycle is null)
        {
            var trace = start.Source;
            var plan = await PlanAsync(trace, start.Overrides);
            if (plan.Error is not null)
            {
                DeactivateOnIdle();
                return ReplayStartResult.Refused(ErrorKind.Validation, plan.Error);
            }

            var replayId = this.GetPrimaryKeyString();
            var quota = GrainFactory.GetGrain<IProjectQuotaGrain>(trace.Project);
            if (start.InFlightLimit is { } limit && !await quota.TryAcquireAsync(QuotaKind.Replays, replayId, limit))
            {
                DeactivateOnIdle();
                return ReplayStartResult.Refused(ErrorKind.LimitExceeded,
                    $"the project already has {limit} replays in flight, its limit; retry once some have finished.");
            }

            var supervisor = start.Supervisor;
            state.State = new ReplayState
            {
                SourceTraceId = trace.Id,
                Overrides = start.Overrides,
                Lifecycle = ReplayLifecycle.Created(start.CreatedAt),
                TotalSpans = plan.Calls.Count,
                OverridesApplied = plan.Counts,
                SkippedSpans = plan.SkippedSpans,
                TriggerTraceParent = TraceReplayActivity.CurrentParent(),
                Project = trace.Project,
                SupervisedBy = supervisor?.SweepId,
                SweepPrices = supervisor?.Prices,
                CompletionTokenMargin = supervisor?.CompletionTokenMargin,
                HoldsQuotaSlot = start.InFlightLimit is not null,
            };
            try
            {
                await SaveAsync();
            }
            catch
            {
                // Nothing was admitted: a repeated start begins afresh, and the slot goes back now (one whose release
                // is lost too is pruned a minute later, its replay not being found).
                state.State = new ReplayState();
                if (start.InFlightLimit is not null)
                {
                    await quota.ReleaseAsync(QuotaKind.Replays, replayId);
                }

                throw;
            }

            _source = trace;
            _plan = plan;
            TraceReplayMetrics.ReplayStarted(ModelTag);
            if (supervisor is null)
            {
                var period = recovery.Value.ReminderPeriod;
                await this.RegisterOrUpdateReminder(ReminderName, period, period);
            }
        }

        EnsureDriving();
        return new ReplayStartResult(Snapshot(), null);
    }

    /// <summary>
    /// The plan, or why the replay cannot run: the templates the overrides name, the calls, and a model no configured
    /// provider serves.
    /// </summary>
    private async Task<ReplayPlan> PlanAsync(TraceData trace, ReplayOverrides overrides)
    {
        var (templates, templateError) = await TemplateContextLoader.LoadAsync(GrainFactory, trace, overrides);
        if (templateError is not null)
        {
            return new ReplayPlan([], templateError);
        }

        var plan = ReplayPlanner.Plan(trace, overrides, templates);
        if (plan.Error is null
            && plan.Calls.Select(c => c.Request.Model).Distinct(StringComparer.Ordinal).FirstOrDefault(m => !providers.IsServed(m)) is { } unserved)
        {
            var field = overrides.Model is not null ? "model" : "the recorded model";
            return new ReplayPlan([], $"{field} '{unserved}' is not served by any configured provider. Served models: {string.Join(", ", providers.ServedModels)}.");
        }

        return plan;
    }

    public async Task<ReplaySnapshot?> GetAsync()
    {
        // A supervised replay has no reminder: its sweep's poll is the tick that re-drives it after a failed drive.
        if (state.State.SupervisedBy is not null && _driver is null && NeedsDriving
            && !(time.GetUtcNow() - _driveFailedAt < recovery.Value.ReminderPeriod))
        {
            await RedriveAsync();
        }
        else if (state.State.SupervisedBy is not null && state.State.OriginNotified)
        {
            // The sweep polls until it reads the final state, then never again: free the activation now rather than
            // at collection, minutes later (a large sweep would otherwise keep every replay it ran in memory).
            this.DeactivateOnIdle();
        }

        return Snapshot();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => RedriveAsync();

    private bool NeedsDriving => state.State.Lifecycle is not null && (!state.State.Lifecycle.IsFinished || !state.State.OriginNotified);

    /// <summary>A reminder tick (or a supervisor's poll): gives up on a replay that outlived its limit, else drives it.</summary>
    private async Task RedriveAsync()
    {
        // Only between drives: a running drive owns the state, and a failure is reported by the drive that follows.
        if (_driver is null && state.State.Lifecycle is { IsFinished: false } life
            && time.GetUtcNow() - life.CreatedAt > recovery.Value.GiveUpAfter)
        {
            await FailAsync(new ReplayError("REPLAY_TIMED_OUT",
                $"the replay did not finish within {recovery.Value.GiveUpAfter} of its creation."));
        }

        EnsureDriving();
    }

    private void EnsureDriving()
    {
        if (_driver is not null || state.State.Lifecycle is null)
        {
            return;
        }

        // Interleave: status reads must not wait behind a drive that queues for the LLM pool for minutes.
        _driver = this.RegisterGrainTimer(DriveAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = Timeout.InfiniteTimeSpan,
            Interleave = true,
            KeepAlive = true,
        });
    }

    private async Task DriveAsync(CancellationToken cancellationToken)
    {
        var failed = false;
        using var scope = LogScopes.Replay(logger, this.GetPrimaryKeyString(), state.State.SourceTraceId);
        using var activity = TraceReplayActivity.StartReplayDrive(this.GetPrimaryKeyString(), state.State.SourceTraceId, state.State.TriggerTraceParent);
        try
        {
            if (state.State.Lifecycle is { IsFinished: false })
            {
                await RunAsync(cancellationToken);
            }

            if (state.State.Lifecycle is { IsFinished: true })
            {
                _source = null;
                _plan = null;
            }

            if (state.State.Lifecycle is { IsFinished: true } && !state.State.OriginNotified)
            {
                await ReportToOriginAsync();
                state.State.OriginNotified = true;
                if (state.State.Lifecycle.Status == ReplayStatus.Failed)
                {
                    // A completed replay's notice is not stored: see RecoverAsync.
                    await SaveAsync(cancellationToken);
                }
            }

            if (state.State.OriginNotified && state.State.SupervisedBy is { } sweepId)
            {
                // One-way, so no call cycle and no wait; a lost push is caught by the sweep's safety poll. Nothing reads
                // this activation soon after, so free it now rather than at collection (a sweep runs thousands).
                GrainFactory.GetGrain<ISweepGrain>(sweepId).ReplayFinishedAsync(Snapshot()!).Ignore();
                DeactivateOnIdle();
            }
            else if (state.State.OriginNotified && await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception ex)
        {
            // Retried after a short backoff (a database blip ends within seconds), then by the reminder or the
            // supervising sweep's poll; a step that already finished is not repeated.
            failed = true;
            _driveFailedAt = time.GetUtcNow();
            _failedDrives++;
            if (_failedDrives == 1 || _failedDrives == QuickRetries)
            {
                LogDriveFailed(logger, ex, this.GetPrimaryKeyString(), _failedDrives);
            }
        }
        finally
        {
            _driver?.Dispose();
            _driver = null;
        }

        if (!failed)
        {
            _failedDrives = 0;
        }
        else if (_failedDrives < QuickRetries && !cancellationToken.IsCancellationRequested)
        {
            _driver = this.RegisterGrainTimer(DriveAsync, new GrainTimerCreationOptions
            {
                DueTime = RetryDelay(_failedDrives),
                Period = Timeout.InfiniteTimeSpan,
                Interleave = true,
                KeepAlive = true,
            });
        }
    }

    /// <summary>250 ms, 500 ms, 1 s, then every <see cref="MaxRetryDelay"/>.</summary>
    internal static TimeSpan RetryDelay(int failedDrives) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failedDrives - 1, 10))));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var replayId = this.GetPrimaryKeyString();
        var trace = _source;
        var plan = _plan;
        if (trace is null || plan is null)
        {
            // A resumed replay (after a crash or a deactivation): the plan was not stored, so it is made again.
            trace = await GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(Project, state.State.SourceTraceId!)).GetAsync();
            if (trace is null)
            {
                await FailAsync(new ReplayError("TRACE_NOT_FOUND", $"trace '{state.State.SourceTraceId}' no longer exists."));
                return;
            }

            plan = await PlanAsync(trace, state.State.Overrides);
            if (plan.Error is not null)
            {
                await FailAsync(new ReplayError("INVALID_REPLAY", plan.Error));
                return;
            }

            _source = trace;
            _plan = plan;
        }

        if (state.State.Lifecycle!.Status == ReplayStatus.Pending)
        {
            // Stored with the first results (in their journal rows): a crash before them only means the replay starts RUNNING again.
            state.State.Lifecycle = state.State.Lifecycle.Start(time.GetUtcNow());
        }

        if (state.State.CompletionTokenMargin is { } margin)
        {
            plan = ReplayPlanner.CapCompletions(plan, margin);
        }

        // The new trace is activated (its state read) while the calls run, not after the last one: at zero LLM latency a
        // sweep's window is bound by each replay's time, and those reads were its completion's share.
        GrainFactory.GetGrain<IReplayTraceGrain>(ReplayTraceKey).GetReplayRecordAsync().Ignore();

        var calls = state.State.Overrides.Mode == ReplayMode.Chained
            ? await CallChainAsync(plan, trace, cancellationToken)
            : await CallModelsAsync(plan, cancellationToken) ? plan.Calls : null;
        if (calls is null)
        {
            return;
        }

        var path = state.State.Divergence is { } divergence ? ReplayTraceBuilder.PathUpTo(trace, divergence.SpanId) : trace;
        var replayTrace = ReplayTraceBuilder.Build(
            path, replayId, calls, state.State.Results, state.State.Lifecycle.StartedAt!.Value, time.GetUtcNow());
        state.State.Decisions = ReplayTraceBuilder.CountDecisions(calls, state.State.Results);
        state.State.OverridesApplied = state.State.OverridesApplied with { DroppedParameters = ReplayTraceBuilder.DroppedParameters(calls, state.State.Results) };
        var metrics = TraceMetrics.From(replayTrace.Spans);
        var result = new ReplayResultSummary(
            metrics.TotalCost, metrics.TotalTokens ?? 0, metrics.DurationMs, metrics.Simulated, metrics.TotalTokens is null);
        var completed = state.State.Lifecycle.Complete(time.GetUtcNow());
        // One write: the last results (as the new trace's spans), the trace, and COMPLETED; readers see COMPLETED once it
        // is stored. A retry after a failure finds the trace and takes the outcome stored with it.
        var outcome = Snapshot()! with
        {
            Status = completed.Status, CompletedAt = completed.CompletedAt, CompletedSpans = state.State.Results.Count,
            ReplayTraceId = replayTrace.Id, Result = result,
        };
        Adopt(await GrainFactory.GetGrain<IReplayTraceGrain>(ReplayTraceKey).CompleteReplayAsync(
            replayTrace, ReplayRecord.Completed(outcome) with { Reference = new(EvaluationRunner.ReferenceOutput(trace)) }));
        _savedResults = state.State.Results.Count;
        _unjournaled.Clear();
        DiscardJournal();

        // Then the history; a crash in between leaves a replay that, activated again, finds its outcome and reports it.
        await ReportToOriginAsync();
        state.State.OriginNotified = true;
        TraceReplayMetrics.ReplayCompleted(ModelTag, state.State.Lifecycle.CompletedAt!.Value - state.State.Lifecycle.CreatedAt);
        LogCompleted(logger, replayId, calls.Count);
    }

    /// <summary>The final state stored with the new trace.</summary>
    private void Adopt(ReplaySnapshot outcome)
    {
        var s = state.State;
        s.Lifecycle = new ReplayLifecycle(outcome.Status, outcome.CreatedAt, outcome.StartedAt, outcome.CompletedAt, outcome.Error);
        s.ReplayTraceId = outcome.ReplayTraceId;
        s.Result = outcome.Result;
        s.Decisions = outcome.Decisions;
        s.Divergence = outcome.Divergence;
        s.OverridesApplied = outcome.OverridesApplied;
        s.PricesUsed = [.. outcome.Prices?.Items ?? []];
    }

    /// <summary>
    /// Runs the calls not done yet concurrently (the pool bounds them); false when one failed the replay. A result
    /// received is kept even when it cannot be stored at once (the database is away): the calls still in flight are
    /// awaited and written with it, or kept in memory for this activation's next drive, so none is made again. A
    /// cancelled call (the silo is stopping) stops the others after what has arrived is stored.
    /// </summary>
    private async Task<bool> CallModelsAsync(ReplayPlan plan, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = plan.Calls
            .Where(c => !state.State.Results.ContainsKey(c.Span.Id))
            .ToDictionary(c => pool.CallAsync(c.Request, Project, stop.Token), c => c);
        Exception? callFailure = null;
        Exception? writeFailure = null;
        while (running.Count > 0)
        {
            await Task.WhenAny(running.Keys);
            // Every result that has arrived by now goes into one state write, not one write each.
            foreach (var (finished, call) in running.Where(r => r.Key.IsCompleted).ToList())
            {
                running.Remove(finished);
                if (!finished.IsCompletedSuccessfully)
                {
                    callFailure ??= finished.Exception?.InnerException ?? new OperationCanceledException("The LLM call was cancelled.");
                    await stop.CancelAsync();
                    continue;
                }

                var result = finished.Result;
                if (!result.Succeeded)
                {
                    await stop.CancelAsync();
                    await FailAsync(new ReplayError("PROVIDER_ERROR", result.ErrorMessage ?? "The LLM call failed.", result.ErrorStatus, call.Span.Id));
                    return false;
                }

                Keep(call, result);
            }

            if (running.Count == 0 && callFailure is null)
            {
                // The last results are stored with the new trace, in the same write (RunAsync), with any whose write failed.
                writeFailure = null;
                break;
            }

            try
            {
                // Not the timer's token: results received are stored even while the silo stops.
                await SaveResultsAsync();
                writeFailure = null;
            }
            catch (Exception ex) when (running.Count > 0)
            {
                writeFailure = ex;
            }
        }

        if ((callFailure ?? writeFailure) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return true;
    }

    private async Task SaveAsync(CancellationToken cancellationToken = default)
    {
        await state.WriteStateAsync(cancellationToken);
        _savedResults = state.State.Results.Count;
        _unjournaled.Clear();
    }

    /// <summary>Appends the results received and not journaled yet: one statement, a row each.</summary>
    private async Task SaveResultsAsync()
    {
        List<JournaledResult> batch = [.. _unjournaled];
        _journalUsed = true;
        await journal.AppendAsync(this.GetPrimaryKeyString(), batch);
        _unjournaled.RemoveRange(0, batch.Count);
        _savedResults = state.State.Results.Count - _unjournaled.Count;
    }

    /// <summary>
    /// A finished replay's journal rows are deleted, not awaited: the deletes of many replays go in one statement, and
    /// rows left by a failed delete or a lost silo are deleted when the replay is activated again.
    /// </summary>
    private void DiscardJournal()
    {
        if (_journalUsed)
        {
            journal.DiscardAsync(this.GetPrimaryKeyString()).Ignore();
            _journalUsed = false;
        }
    }

    /// <summary>The key of this replay's new trace, which holds its <see cref="ReplayRecord"/>.</summary>
    private string ReplayTraceKey => TraceKeys.For(Project, ReplayTraceBuilder.TraceIdFor(this.GetPrimaryKeyString()));

    /// <summary>
    /// Runs a chained replay's calls one after another (each input depends on the replies before it), persisting each
    /// result; the calls made, or null when one failed the replay. Stops at the first divergence, which it records.
    /// </summary>
    private async Task<IReadOnlyList<PlannedCall>?> CallChainAsync(ReplayPlan plan, TraceData trace, CancellationToken cancellationToken)
    {
        while (true)
        {
            var step = ChainedReplayPlanner.Next(plan, trace, state.State.Results, state.State.Overrides.ToolMatching);
            if (step.IsFinished)
            {
                state.State.Divergence = step.Divergence;
                if (step.Divergence is { } divergence)
                {
                    LogDiverged(logger, this.GetPrimaryKeyString(), divergence.SpanId, divergence.Reason);
                }

                return step.Done;
            }

            if (_unjournaled.Count > 0)
            {
                // The results before this call; the last one is stored with the new trace (RunAsync).
                await SaveResultsAsync();
            }

            var call = step.Next!;
            var result = await pool.CallAsync(call.Request, Project, cancellationToken);
            if (!result.Succeeded)
            {
                await FailAsync(new ReplayError("PROVIDER_ERROR", result.ErrorMessage ?? "The LLM call failed.", result.ErrorStatus, call.Span.Id));
                return null;
            }

            Keep(call, result);
        }
    }

    /// <summary>A successful call's result, priced, in the state and waiting to be journaled.</summary>
    private void Keep(PlannedCall call, LlmCallResult result)
    {
        // The sweep's snapshot first (every replay of a sweep costs what its estimate said), else the price in force now.
        var price = state.State.SweepPrices?.Find(call.Request.Model) ?? prices.PriceAt(call.Request.Model, time.GetUtcNow());
        if (price is not null && !state.State.PricesUsed.Contains(price))
        {
            state.State.PricesUsed.Add(price);
        }

        var spanResult = new SpanResult(
            call.Span.Id, result.ResponseModel ?? call.Request.Model, result.MessageJson!, result.PromptTokens,
            result.CompletionTokens, result.LatencyMs, result.WaitMs,
            price?.Cost(result.PromptTokens, result.CompletionTokens), result.Simulated, result.Attempts,
            result.DroppedParameters is { Count: > 0 } dropped ? dropped : null);
        state.State.Results[call.Span.Id] = spanResult;
        _unjournaled.Add(new JournaledResult(spanResult, price, state.State.Lifecycle!.StartedAt!.Value));
    }

    private async Task FailAsync(ReplayError error)
    {
        state.State.Lifecycle = state.State.Lifecycle!.Fail(time.GetUtcNow(), error);
        await SaveAsync();
        DiscardJournal();
        TraceReplayMetrics.ReplayFailed(ModelTag, error.Code, time.GetUtcNow() - state.State.Lifecycle.CreatedAt);
        LogFailed(logger, this.GetPrimaryKeyString(), error.Code, error.ProviderStatus);
    }

    /// <summary>The model a replay's metrics are counted under: its override, else "recorded".</summary>
    private string ModelTag => state.State.Overrides.Model ?? "recorded";

    private Task ReportToOriginAsync() =>
        GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(Project, state.State.SourceTraceId!)).RecordReplayAsync(Snapshot()!);

    private string Project => state.State.Project ?? TraceReplayNames.DefaultProject;

    private ReplaySnapshot? Snapshot()
    {
        var s = state.State;
        if (s.Lifecycle is not { } life)
        {
            return null;
        }

        return new ReplaySnapshot(
            this.GetPrimaryKeyString(), s.SourceTraceId!, life.Status, s.Overrides, life.CreatedAt, life.StartedAt,
            life.CompletedAt, life.Error, _recoveredSpans ?? Math.Min(_savedResults, s.Results.Count), s.TotalSpans, s.ReplayTraceId, s.OverridesApplied, s.Result,
            s.SkippedSpans.Count == 0 ? null : s.SkippedSpans, s.Decisions, s.Divergence, Project,
            s.PricesUsed.Count == 0 ? null : new PriceList([.. s.PricesUsed]));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replay {ReplayId} could not advance (failure {Failures} in a row); it retries shortly, then at its reminder")]
    private static partial void LogDriveFailed(ILogger logger, Exception exception, string replayId, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay {ReplayId} completed ({Spans} LLM spans)")]
    private static partial void LogCompleted(ILogger logger, string replayId, int spans);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chained replay {ReplayId} diverged at span {SpanId}: {Reason}")]
    private static partial void LogDiverged(ILogger logger, string replayId, string spanId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay {ReplayId} failed: {Code} (provider status {ProviderStatus})")]
    private static partial void LogFailed(ILogger logger, string replayId, string code, int? providerStatus);
}
