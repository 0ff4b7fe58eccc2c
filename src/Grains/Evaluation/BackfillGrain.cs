using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Sweeps;

namespace TraceReplay.Grains.Evaluation;

/// <summary>
/// A backfill's persisted head: its definition, status, where its queue stands and the traces being scored. The trace
/// ids live in chunks of their own (<see cref="BackfillIdChunk"/>), written once at the start, so a checkpoint writes
/// this head only and costs the same for 100 traces or 100,000. The traces before <see cref="Cursor"/> have been asked
/// (scored, skipped, or in <see cref="Scoring"/>); the ones from it on are queued.
/// </summary>
[GenerateSerializer, Alias("TraceReplay.BackfillState")]
public sealed class BackfillState
{
    [Id(0)] public BackfillDefinition? Definition { get; set; }

    [Id(1)] public BackfillStatus Status { get; set; }

    /// <summary>Written by an earlier version (every trace's entry in the head); moved into chunks on activation.</summary>
    [Id(2)] public List<BackfillEntry> Entries { get; set; } = [];

    [Id(3)] public DateTimeOffset? CompletedAt { get; set; }

    [Id(4)] public int Total { get; set; }

    [Id(5)] public int Cursor { get; set; }

    /// <summary>The traces asked and not scored yet: at most <see cref="BackfillGrain.Window"/>.</summary>
    [Id(6)] public List<string> Scoring { get; set; } = [];

    [Id(7)] public int Scored { get; set; }

    [Id(8)] public int Skipped { get; set; }
}

/// <summary>Trace ids <c>n × 1,000</c> to <c>(n + 1) × 1,000 − 1</c> of a backfill, stored as <c>backfillids/{backfillId}/{n}</c>.</summary>
[GenerateSerializer, Alias("TraceReplay.BackfillIdChunk")]
public sealed class BackfillIdChunk
{
    [Id(0)] public List<string> TraceIds { get; set; } = [];
}

/// <summary>
/// Scores existing traces with one evaluator. Like a sweep, a periodic non-interleaved timer does the work: each tick
/// asks the next traces of a bounded window to make the evaluator pending (<see cref="ITraceGrain.RequestEvaluationsAsync"/>,
/// which persists it with the catalog's pending flag and starts the trace's EvaluationGrain) and polls the traces in the
/// window until their score is in. Nothing waits on an LLM inside a grain call. Progress is checkpointed at most once a
/// second; a resumed backfill asks again from its last checkpoint, which changes nothing for a trace already pending or
/// scored, and the reminder resumes it after a silo loss. Evaluation recovery finishes any evaluation whose grain died.
/// The trace ids arrive in pages (<see cref="StageTracesAsync"/>) and are stored in chunks of
/// <see cref="SweepPages.Size"/>; the activation holds one chunk at a time.
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
    private const string ChunkStateName = "backfill-ids";
    private static readonly GrainType ChunkType = GrainType.Create("backfillids");

    private readonly List<string> _staged = [];
    private readonly Dictionary<int, GrainState<BackfillIdChunk>> _chunks = [];
    private IGrainStorage? _storage;
    private IGrainTimer? _driver;
    private bool _unsaved;
    private DateTimeOffset _savedAt;

    private BackfillState State => state.State;

    private string BackfillId => this.GetPrimaryKeyString();

    /// <summary>Until it completes; a cancelled backfill until the traces it was scoring are scored.</summary>
    private bool NeedsDriving => State.Definition is not null && State.CompletedAt is null;

    private IGrainStorage Storage => _storage ??= ServiceProvider.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.SweepStorage);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Entries.Count > 0)
        {
            await MoveEntriesIntoChunksAsync();
        }

        if (NeedsDriving)
        {
            EnsureDriving();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unsaved)
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public Task StageTracesAsync(int offset, IReadOnlyList<string> traceIds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(traceIds.Count, SweepPages.Size);
        if (State.Definition is not null || offset + traceIds.Count <= _staged.Count)
        {
            // Started already, or a page held already (a repeated call).
            return Task.CompletedTask;
        }

        if (offset != _staged.Count)
        {
            throw new ArgumentException($"backfill '{BackfillId}' holds {_staged.Count} staged traces; a page at {offset} would leave a gap or overlap.", nameof(offset));
        }

        if (_staged.Count + traceIds.Count > SweepFilter.MaxTraces)
        {
            throw new ArgumentException($"backfill '{BackfillId}' would hold more than {SweepFilter.MaxTraces} staged traces.", nameof(traceIds));
        }

        _staged.AddRange(traceIds);
        return Task.CompletedTask;
    }

    public async Task<BackfillSnapshot> StartAsync(BackfillDefinition definition)
    {
        if (State.Definition is null)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(definition.TraceIds.Count, SweepPages.Size);
            if (_staged.Count != definition.StagedTraces)
            {
                // Staged pages live in the activation: one that ended in between (a silo lost) took them along.
                throw new InvalidOperationException(
                    $"backfill '{BackfillId}' holds {_staged.Count} staged traces, not the {definition.StagedTraces} its definition names; stage them again.");
            }

            var ids = _staged.Concat(definition.TraceIds).ToList();
            // The ids first: a backfill whose head is stored can always read them. A failure here leaves it unknown.
            await WriteChunksAsync(ids);
            _staged.Clear();
            State.Definition = definition with { TraceIds = [], StagedTraces = 0 };
            (State.Total, State.Cursor, State.Scoring, State.Scored, State.Skipped) = (ids.Count, 0, [], 0, 0);
            State.Status = BackfillStatus.Pending;
            await state.WriteStateAsync();
            var period = recovery.Value.ReminderPeriod;
            await this.RegisterOrUpdateReminder(ReminderName, period, period);
            LogStarted(logger, BackfillId, definition.Evaluator.Id, ids.Count);
        }

        EnsureDriving();
        return Snapshot()!;
    }

    public Task<BackfillSnapshot?> GetAsync() => Task.FromResult(Snapshot());

    public async Task<BackfillResult> CancelAsync()
    {
        if (State.Definition is null)
        {
            return BackfillResult.Refused(ErrorKind.NotFound, $"backfill '{BackfillId}' not found.");
        }

        if (State.Status is BackfillStatus.Completed or BackfillStatus.Cancelled)
        {
            return BackfillResult.Refused(ErrorKind.Conflict,
                $"backfill '{BackfillId}' is already {State.Status.ToString().ToUpperInvariant()}; only a PENDING or RUNNING backfill can be cancelled.");
        }

        // The queued traces count as skipped.
        State.Status = BackfillStatus.Cancelled;
        State.Skipped += State.Total - State.Cursor;
        State.Cursor = State.Total;
        FinishIfIdle();
        await state.WriteStateAsync();
        (_unsaved, _savedAt) = (false, time.GetUtcNow());
        LogCancelled(logger, BackfillId, State.Scoring.Count);
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
            var status = State.Status;
            if (status == BackfillStatus.Pending)
            {
                State.Status = BackfillStatus.Running;
            }

            var completedAt = State.CompletedAt;
            _unsaved |= await PollAsync();
            if (State.Status != BackfillStatus.Cancelled)
            {
                _unsaved |= await RefillAsync();
            }

            FinishIfIdle();
            if (State.Status != status || State.CompletedAt != completedAt
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
            LogDriveFailed(logger, ex, BackfillId);
        }
    }

    /// <summary>Ends the backfill once no trace is queued or being scored: COMPLETED, or CANCELLED stays and gets its end time.</summary>
    private void FinishIfIdle()
    {
        if (State.CompletedAt is not null || State.Cursor < State.Total || State.Scoring.Count > 0)
        {
            return;
        }

        if (State.Status != BackfillStatus.Cancelled)
        {
            State.Status = BackfillStatus.Completed;
        }

        State.CompletedAt = time.GetUtcNow();
        LogFinished(logger, BackfillId, State.Scored);
    }

    /// <summary>Counts as scored every trace in the window whose evaluator is no longer pending.</summary>
    private async Task<bool> PollAsync()
    {
        var scoring = State.Scoring;
        if (scoring.Count == 0)
        {
            return false;
        }

        var evaluator = State.Definition!.Evaluator;
        var statuses = await Task.WhenAll(scoring.Select(id => Trace(id).GetEvaluationStatusAsync()));
        var stillScoring = scoring.Where((_, k) => statuses[k].Pending.Any(p => p.Id == evaluator.Id && p.Version == evaluator.Version)).ToList();
        State.Scored += scoring.Count - stillScoring.Count;
        State.Scoring = stillScoring;
        return stillScoring.Count != scoring.Count;
    }

    /// <summary>Asks the next queued traces to score with the evaluator, up to the window.</summary>
    private async Task<bool> RefillAsync()
    {
        var batch = await NextQueuedAsync(Window - State.Scoring.Count);
        if (batch.Count == 0)
        {
            return false;
        }

        EvaluatorDefinition[] evaluators = [State.Definition!.Evaluator];
        var outcomes = await Task.WhenAll(batch.Select(id => Trace(id).RequestEvaluationsAsync(evaluators)));
        for (var k = 0; k < batch.Count; k++)
        {
            switch (outcomes[k])
            {
                case EvaluationRequestOutcome.Started:
                    State.Scoring.Add(batch[k]);
                    break;
                case EvaluationRequestOutcome.AlreadyScored:
                    State.Scored++;
                    break;
                default:
                    // Not found or purged, or not complete yet (no header or root span).
                    State.Skipped++;
                    break;
            }
        }

        State.Cursor += batch.Count;
        return true;
    }

    /// <summary>Up to <paramref name="count"/> ids from the cursor on, reading the chunk they are in.</summary>
    private async Task<List<string>> NextQueuedAsync(int count)
    {
        var ids = new List<string>(Math.Max(count, 0));
        for (var index = State.Cursor; ids.Count < count && index < State.Total; index++)
        {
            var chunk = await ChunkAsync(index / SweepPages.Size);
            if (index % SweepPages.Size >= chunk.Count)
            {
                break;
            }

            ids.Add(chunk[index % SweepPages.Size]);
        }

        return ids;
    }

    /// <summary>The ids of chunk <paramref name="n"/>; the activation keeps the last one read.</summary>
    private async Task<List<string>> ChunkAsync(int n)
    {
        if (_chunks.TryGetValue(n, out var held) && held.State?.TraceIds is { Count: > 0 } cached)
        {
            return cached;
        }

        foreach (var other in _chunks.Keys.Where(k => k != n).ToList())
        {
            _chunks.Remove(other);
        }

        held = Held(n);
        await Storage.ReadStateAsync(ChunkStateName, ChunkId(n), held);
        return held.State?.TraceIds ?? [];
    }

    private async Task WriteChunksAsync(List<string> ids)
    {
        var chunks = ids.Chunk(SweepPages.Size).Select((page, n) => (n, page)).ToList();
        foreach (var batch in chunks.Chunk(4))
        {
            await Task.WhenAll(batch.Select(c =>
            {
                var held = Held(c.n);
                held.State = new BackfillIdChunk { TraceIds = [.. c.page] };
                return Storage.WriteStateAsync(ChunkStateName, ChunkId(c.n), held);
            }));
        }

        // Only the first chunk stays in memory; the drive reads the others when it reaches them.
        foreach (var n in _chunks.Keys.Where(n => n > 0).ToList())
        {
            _chunks.Remove(n);
        }
    }

    /// <summary>A backfill stored by an earlier version, with every entry in its head: its ids move into chunks.</summary>
    private async Task MoveEntriesIntoChunksAsync()
    {
        var entries = State.Entries;
        var cursor = entries.FindIndex(e => e.Status == BackfillTraceStatus.Queued);
        await WriteChunksAsync([.. entries.Select(e => e.TraceId)]);
        State.Total = entries.Count;
        State.Cursor = cursor < 0 ? entries.Count : cursor;
        State.Scoring = [.. entries.Where(e => e.Status == BackfillTraceStatus.Scoring).Select(e => e.TraceId)];
        State.Scored = entries.Count(e => e.Status == BackfillTraceStatus.Scored);
        State.Skipped = entries.Count(e => e.Status == BackfillTraceStatus.Skipped);
        State.Entries = [];
        await state.WriteStateAsync();
    }

    private GrainState<BackfillIdChunk> Held(int n)
    {
        if (!_chunks.TryGetValue(n, out var held))
        {
            held = new GrainState<BackfillIdChunk>(new BackfillIdChunk());
            _chunks[n] = held;
        }

        return held;
    }

    private GrainId ChunkId(int n) => GrainId.Create(ChunkType, IdSpan.Create($"{BackfillId}/{n}"));

    private ITraceGrain Trace(string traceId) => GrainFactory.GetGrain<ITraceGrain>(TraceKeys.For(State.Definition!.Project, traceId));

    private BackfillSnapshot? Snapshot() => State.Definition is not { } d
        ? null
        : new BackfillSnapshot(
            BackfillId, d.Project, d.Evaluator.Id, d.Evaluator.Name, d.Evaluator.Version, State.Status, d.FilterDescription,
            new BackfillCounts(State.Total, State.Total - State.Cursor, State.Scoring.Count, State.Scored, State.Skipped),
            d.CreatedAt, State.CompletedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} of evaluator {EvaluatorId} started over {Traces} traces")]
    private static partial void LogStarted(ILogger logger, string backfillId, string evaluatorId, int traces);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} finished: {Scored} traces scored")]
    private static partial void LogFinished(ILogger logger, string backfillId, int scored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} cancelled; {Scoring} traces being scored finish")]
    private static partial void LogCancelled(ILogger logger, string backfillId, int scoring);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill {BackfillId} could not advance; the next tick or its reminder will retry")]
    private static partial void LogDriveFailed(ILogger logger, Exception exception, string backfillId);
}
