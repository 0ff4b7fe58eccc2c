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
/// Each checkpoint, and each activation, publishes the sweep's snapshot to the <see cref="ISweepStatusStore"/>, where
/// the API reads sweeps' status without calling in here.
/// </summary>
public sealed partial class SweepGrain(
    [PersistentState("sweep", TraceReplayNames.SweepStorage)] IPersistentState<SweepState> state,
    ModelPriceTable prices,
    ITraceCatalog catalog,
    ISweepStatusStore statuses,
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

    // A new sweep's targets, staged page by page until StartAsync takes them.
    private readonly List<SweepTarget> _staged = [];

    // Replay traces recorded since the last checkpoint: pinned before the chunks that record them are stored.
    private readonly List<string> _unpinned = [];

    // The head (status, times, entry count) changed since it was stored.
    private bool _headChanged;
    private DateTimeOffset _savedAt;

    // Status, counts and spend as of the last stored checkpoint: what clients read, consistent with each other, and never
    // going back when a crash resumes the sweep from that checkpoint (the live entries may be a checkpoint interval ahead).
    private Published? _saved;

    // The snapshot of the last checkpoint is not in the status store yet (its publish failed, or is under way).
    private bool _unpublished;
    // scoreOriginals: the project's enabled evaluators, read once per activation.
    private IReadOnlyList<EvaluatorDefinition>? _evaluators;

    private SweepWindow Window => _window ?? throw new InvalidOperationException("The sweep has no entries yet.");

    private string SweepId => this.GetPrimaryKeyString();

    // Sweeps recover on the same cadence as replays: one period after the cluster declares a silo dead.
    private TimeSpan ReminderPeriod => recovery.Value.ReminderPeriod;

    private bool NeedsDriving =>
        state.State.Definition is not null && (!SweepLifecycle.IsFinished(state.State.Status) || state.State.CompletedAt is null);

    private bool Unsaved => _headChanged || _unpinned.Count > 0 || Window.DirtyChunkCount > 0 || _unpublished;

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
        // Repairs a row a crash left behind its checkpoint, and fills it for a sweep stored before the store existed.
        await PublishStatusAsync();
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

    public Task StageTargetsAsync(int offset, IReadOnlyList<SweepTarget> targets)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targets.Count, SweepPages.Size);
        if (state.State.Definition is not null || offset + targets.Count <= _staged.Count)
        {
            // Started already, or a page held already (a repeated call).
            return Task.CompletedTask;
        }

        if (offset != _staged.Count)
        {
            throw new ArgumentException($"sweep '{SweepId}' holds {_staged.Count} staged targets; a page at {offset} would leave a gap or overlap.", nameof(offset));
        }

        if (_staged.Count + targets.Count > SweepFilter.MaxTraces)
        {
            throw new ArgumentException($"sweep '{SweepId}' would hold more than {SweepFilter.MaxTraces} staged targets.", nameof(targets));
        }

        _staged.AddRange(targets);
        return Task.CompletedTask;
    }

    public async Task<SweepSnapshot> StartAsync(SweepDefinition definition)
    {
        if (state.State.Definition is null)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(definition.Targets.Count, SweepPages.Size);
            if (_staged.Count != definition.StagedTargets)
            {
                // Staged pages live in the activation: one that ended in between (a silo lost) took them along.
                throw new InvalidOperationException(
                    $"sweep '{SweepId}' holds {_staged.Count} staged targets, not the {definition.StagedTargets} its definition names; stage them again.");
            }

            _window = new SweepWindow(_staged.Concat(definition.Targets).Select(t => new SweepEntry(
                t.TraceId, t.Name, t.Timestamp, SweepTraceStatus.Queued, OriginalCost: t.Cost, OriginalDurationMs: t.DurationMs)));
            _staged.Clear();
            _window.MarkAllDirty();
            state.State.Definition = definition with { Targets = [], StagedTargets = 0 };
            state.State.EntryCount = _window.Count;
            state.State.MaxInFlight = definition.MaxInFlight ?? 0;
            state.State.Status = SweepStatus.Pending;
            _headChanged = true;
            await SaveAsync();
            await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
            await GrainFactory.GetGrain<ISweepRegistryGrain>(definition.Project).AddAsync(SweepId);
            LogStarted(logger, SweepId, _window.Count);
        }

        // The drive's first tick pins the sources (in pages, before any replay starts), so this call stays short.
        EnsureDriving();
        return Snapshot()!;
    }

    public Task<SweepSnapshot?> GetAsync() => Task.FromResult(Snapshot());

    public Task<SweepEntryPage?> GetEntriesAsync(int offset, int count)
    {
        if (_window is null)
        {
            return Task.FromResult<SweepEntryPage?>(null);
        }

        var from = Math.Clamp(offset, 0, _window.Count);
        var take = Math.Clamp(count, 0, Math.Min(SweepPages.Size, _window.Count - from));
        return Task.FromResult<SweepEntryPage?>(new SweepEntryPage([.. _window.Entries.Skip(from).Take(take)], _window.Count));
    }

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
        await statuses.DeleteAsync(SweepId);
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

    private async Task<int> PoolSizeAsync()
    {
        if (options.Value.DefaultMaxInFlight > 0)
        {
            return options.Value.DefaultMaxInFlight;
        }

        // A few replays per pool slot: each replay's calls wait their turn at its silo's pool, so a slot that frees finds
        // the next call already waiting, whichever silo the replays landed on.
        var silos = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        return Math.Min(options.Value.MaxInFlightLimit, Math.Max(1, silos.Count) * LlmSpanWorker.ActivationsPerSilo * SweepOptions.ReplaysPerPoolSlot);
    }

    /// <summary>
    /// Pins the sweep's sources and, when it has a baseline, the baseline's sources and replay traces, so retention keeps
    /// what its results and its noise comparison read while the sweep exists.
    /// </summary>
    private async Task PinSourcesAsync()
    {
        var definition = state.State.Definition!;
        await PinAsync(Window.Entries.Select(e => e.TraceId));
        if (definition.BaselineSweepId is { } baselineId
            && await GrainFactory.GetGrain<ISweepGrain>(baselineId).GetEntriesAsync() is { } baseline)
        {
            await PinAsync(baseline.Select(e => e.TraceId));
            await PinAsync(baseline.Where(e => e.ReplayTraceId is not null).Select(e => e.ReplayTraceId!));
        }

        state.State.SourcesPinned = true;
        await state.WriteStateAsync();
    }

    /// <summary>Pins trace ids for this sweep, a page per catalog statement, so no statement grows with the sweep.</summary>
    private async Task PinAsync(IEnumerable<string> traceIds)
    {
        foreach (var page in traceIds.Chunk(SweepPages.Size))
        {
            await catalog.PinAsync(state.State.Definition!.Project, PinHolders.Sweep(SweepId), page);
        }
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
            await PinAsync(_unpinned);
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
        await PublishStatusAsync();
    }

    /// <summary>Publishes the last checkpoint's snapshot; one that fails stays due and goes with the next checkpoint.</summary>
    private async Task PublishStatusAsync()
    {
        _unpublished = true;
        await statuses.PublishAsync(Snapshot()!);
        _unpublished = false;
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
