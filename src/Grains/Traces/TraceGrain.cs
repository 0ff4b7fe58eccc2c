using Microsoft.Extensions.Options;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Telemetry;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// One trace: assembles its span tree from ingestion batches in any order, keeps its catalog row current, and owns
/// its replay history. Starting a replay validates everything that can be known up front and returns at once.
/// Two states: the body (<see cref="TraceState"/>: the spans, written by ingestion and a replay's create) and the
/// activity (<see cref="TraceActivity"/>: history, scores, evaluation status, purge mark), so that recording a replay or
/// a score never rewrites the spans.
/// </summary>
public sealed partial class TraceGrain(
    [LazyState("trace", TraceReplayNames.TraceStorage)] LazyState<TraceState> state,
    [LazyState("activity", TraceReplayNames.TraceStorage)] LazyState<TraceActivity> activity,
    ITraceCatalog catalog,
    ModelPriceTable prices,
    IOptions<TraceReplayOptions> options,
    TimeProvider time,
    ILogger<TraceGrain> logger) : Grain, ITraceGrain, IReplayTraceGrain
{
    // A PENDING history entry is in memory only until the activity's next write (see StartReplayAsync).
    private bool _historyUnsaved;

    /// <summary>
    /// Reads the body and the activity, on the first call that needs them rather than on activation (see
    /// <see cref="Invoke"/>: a new trace's ingest reads neither). A trace written before the split holds its history,
    /// scores and purge mark in the body: they move to the activity (one write, once); the body drops its copies with
    /// its next write, and is ignored from now on.
    /// </summary>
    private async Task LoadAsync()
    {
        await Task.WhenAll(state.LoadAsync(), activity.LoadAsync());
        var body = state.State;
        if (!body.HasLegacyActivity)
        {
            return;
        }

        // Taken out before the write: an interleaving call finds nothing left to move.
        var (replays, scores, purgedAt) = (body.LegacyReplays, body.LegacyScores, body.LegacyPurgedAt);
        body.LegacyReplays = [];
        body.LegacyScores = [];
        body.LegacyPurgedAt = null;
        if (activity.RecordExists)
        {
            return;
        }

        try
        {
            activity.State = new TraceActivity
            {
                Replays = [.. replays.OrderByDescending(r => r.CreatedAt).Take(TraceActivity.MaxInlineReplays)],
                Scores = [.. scores],
                PurgedAt = purgedAt,
            };
            await activity.WriteStateAsync();
        }
        catch
        {
            (body.LegacyReplays, body.LegacyScores, body.LegacyPurgedAt) = (replays, scores, purgedAt);
            activity.Forget();
            throw;
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_historyUnsaved)
        {
            await activity.WriteStateAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The evaluation status: the activity's once it changed, else the snapshot taken with the body. An activity not
    /// loaded belongs to a trace being created by its ingest (an activity is only ever written for a stored body).
    /// </summary>
    private EvaluationStatus? Evaluation => (activity.IsLoaded ? activity.State.Evaluation : null) ?? state.State.Evaluation;

    /// <summary>The ingest itself; <see cref="IngestAsync"/> wraps it (a batch applied once, a failed write forgotten).</summary>
    private async Task<RequestError?> IngestCoreAsync(TraceIngest ingest)
    {
        using var scope = LogScopes.Trace(logger, this.GetPrimaryKeyString());
        var now = time.GetUtcNow();
        var spans = ingest.Spans.Select(PriceSpan).ToList();
        var current = state.State.Trace;
        if (current is null && spans.Count == 0 && ingest.Header is null)
        {
            // Log records before any span: kept until their spans arrive.
            if (ingest.Contents is { Count: > 0 } early)
            {
                KeepPending(early, now);
                RememberBatch(ingest.BatchId);
                await state.WriteStateAsync();
            }

            return null;
        }

        TraceData trace;
        if (current is null)
        {
            var header = ingest.Header;
            var (project, traceId) = TraceKeys.Parse(this.GetPrimaryKeyString());
            trace = new TraceData(
                traceId, header?.Name ?? string.Empty, header?.MetadataJson, header?.Tags ?? [],
                header?.Timestamp ?? EarliestStart(spans) ?? now, now, spans, null, header is not null, project);
        }
        else
        {
            var merged = current.Spans.ToDictionary(s => s.Id, StringComparer.Ordinal);
            var order = current.Spans.Select(s => s.Id).ToList();
            foreach (var span in spans)
            {
                if (!merged.ContainsKey(span.Id))
                {
                    order.Add(span.Id);
                }

                merged[span.Id] = merged.TryGetValue(span.Id, out var earlier) ? KeepRecordedContent(earlier, span) : span;
            }

            trace = current with { Spans = [.. order.Select(id => merged[id])] };
            if (ingest.Header is { } header)
            {
                trace = trace with
                {
                    Name = header.Name, MetadataJson = header.MetadataJson, Tags = header.Tags, Timestamp = header.Timestamp,
                    HasHeader = true,
                };
            }
        }

        // A journaled batch was accepted when it was prepared; only a direct ingest is checked here.
        if (ingest.BatchId is null && trace.Spans.Count + ReservedElsewhere(trace) is var count && count > options.Value.MaxSpansPerTrace)
        {
            return TooManySpans(trace.Id, count);
        }

        trace = AttachContents(trace, ingest.Contents ?? [], now);
        state.State.Trace = trace;
        RememberBatch(ingest.BatchId);
        await PersistAsync(complete: false);
        TraceReplayMetrics.SpansIngested(ingest.Spans.Count);
        return null;
    }

    /// <summary>A redelivered LLM span without content keeps the content an earlier delivery or its log records gave it.</summary>
    private static SpanData KeepRecordedContent(SpanData earlier, SpanData again) =>
        again.Type == SpanType.Llm && again.NotReplayableReason is not null && earlier.NotReplayableReason is null && earlier.InputJson is not null
            ? again with { InputJson = earlier.InputJson, OutputJson = again.OutputJson ?? earlier.OutputJson, NotReplayableReason = null }
            : again;

    /// <summary>
    /// Gives LLM spans the messages their GenAI log records carried (these and earlier ones still pending): the input
    /// where the span recorded none (or where it came from logs before: appended), the answer where it recorded none.
    /// Contents whose span is not here yet wait, at most <see cref="PendingContentWindow"/> and
    /// <see cref="MaxPendingContents"/> of them.
    /// </summary>
    private TraceData AttachContents(TraceData trace, IReadOnlyList<SpanContent> contents, DateTimeOffset now)
    {
        var all = state.State.PendingContents.Concat(contents).ToList();
        if (all.Count == 0)
        {
            return trace;
        }

        var byId = trace.Spans.Select((s, i) => (s, i)).ToDictionary(x => x.s.Id, x => x.i, StringComparer.Ordinal);
        var spans = trace.Spans.ToList();
        var waiting = new List<SpanContent>();
        foreach (var content in all.OrderBy(c => c.ReceivedAt))
        {
            if (!byId.TryGetValue(content.SpanId, out var index))
            {
                waiting.Add(content);
                continue;
            }

            var span = spans[index];
            if (span.Type != SpanType.Llm)
            {
                continue;
            }

            if (ChatPayload.ParseOrNull(content.InputMessagesJson) is System.Text.Json.Nodes.JsonArray { Count: > 0 } messages)
            {
                if (state.State.ContentFromLogs.Contains(span.Id) && ChatPayload.ParseOrNull(span.InputJson) is System.Text.Json.Nodes.JsonArray earlier)
                {
                    foreach (var message in messages)
                    {
                        earlier.Add(message?.DeepClone());
                    }

                    span = span with { InputJson = earlier.ToJsonString() };
                }
                else if (span.InputJson is null || span.NotReplayableReason is not null)
                {
                    span = span with { InputJson = messages.ToJsonString(), NotReplayableReason = null };
                    state.State.ContentFromLogs.Add(span.Id);
                }
            }

            if (content.OutputJson is not null && (span.OutputJson is null || state.State.ContentFromLogs.Contains(span.Id)))
            {
                span = span with { OutputJson = content.OutputJson };
            }

            spans[index] = span;
        }

        state.State.PendingContents = [];
        KeepPending(waiting, now);
        return trace with { Spans = spans };
    }

    /// <summary>How long log records wait for their span. Exporters batch spans and logs apart, seconds to a minute.</summary>
    public static readonly TimeSpan PendingContentWindow = TimeSpan.FromMinutes(10);

    /// <summary>Most log-record contents one trace keeps waiting for spans; the oldest go first.</summary>
    public const int MaxPendingContents = 1_000;

    private void KeepPending(IEnumerable<SpanContent> contents, DateTimeOffset now)
    {
        state.State.PendingContents = [.. state.State.PendingContents.Concat(contents)
            .Where(c => c.ReceivedAt > now - PendingContentWindow)
            .OrderBy(c => c.ReceivedAt)
            .TakeLast(MaxPendingContents)];
    }

    public Task<TraceData?> GetAsync() => Task.FromResult(state.State.Trace);

    /// <summary>
    /// The admission: what only the trace knows (purged, retention) is checked here; the new ReplayGrain gets the trace,
    /// plans the replay once, validates the plan, takes the project's quota slot and keeps the plan for its run. The
    /// PENDING history entry is kept in memory and stored with the activity's next write (at the latest the replay's
    /// final report; or at deactivation): the ReplayGrain is the durable record, and a silo lost in between only
    /// delays the entry until that report.
    /// </summary>
    public async Task<ReplayStartResult> StartReplayAsync(ReplayOverrides overrides, ReplaySupervisor? supervisor = null, int? inFlightLimit = null)
    {
        var (project, traceId) = TraceKeys.Parse(this.GetPrimaryKeyString());
        using var scope = LogScopes.Trace(logger, traceId);
        if (activity.State.PurgedAt is { } purgedAt)
        {
            return ReplayStartResult.Refused(ErrorKind.Gone,
                $"trace '{traceId}' was purged on {purgedAt:yyyy-MM-dd}: it was older than the retention window of {options.Value.RetentionDays} days.");
        }

        if (state.State.Trace is not { } trace)
        {
            return ReplayStartResult.Refused(ErrorKind.NotFound, $"trace '{traceId}' not found.");
        }

        var now = time.GetUtcNow();
        var retentionDays = options.Value.RetentionDays;
        // A pinned trace is kept past the window so that its sweep (or a baseline) can be re-run: it stays replayable.
        if (retentionDays > 0 && trace.Timestamp < now.AddDays(-retentionDays)
            && (await catalog.PinHoldersAsync(project, traceId)).Count == 0)
        {
            return ReplayStartResult.Refused(ErrorKind.Gone,
                $"trace '{traceId}' is from {trace.Timestamp:yyyy-MM-dd}, older than the retention window of {retentionDays} days.");
        }

        var replayId = supervisor?.ReplayId ?? "rpl_" + Guid.NewGuid().ToString("N");
        var result = await GrainFactory.GetGrain<IReplayGrain>(replayId)
            .StartAsync(new ReplayStart(trace, overrides, now, supervisor, inFlightLimit));
        if (result.Replay is { } started)
        {
            if (activity.State.Replays.All(r => r.Id != replayId))
            {
                activity.State.KeepReplay(started);
                _historyUnsaved = true;
            }

            LogReplayStarted(logger, replayId, traceId, started.TotalSpans);
        }

        return result;
    }

    public Task<IReadOnlyList<ReplaySnapshot>> GetReplaysAsync() => Task.FromResult<IReadOnlyList<ReplaySnapshot>>([.. activity.State.Replays]);

    public async Task RecordReplayAsync(ReplaySnapshot replay)
    {
        // Statuses only move forward; a late report of an earlier state changes nothing, nor does a finished replay
        // reporting its final state again (it does when it is activated again and cannot know it reported before).
        if (activity.State.Replays.Find(r => r.Id == replay.Id) is { } known
            && (replay.Status < known.Status || (replay.Status == known.Status && known.Status is ReplayStatus.Completed or ReplayStatus.Failed)))
        {
            return;
        }

        activity.State.KeepReplay(replay);
        await activity.WriteStateAsync();
        _historyUnsaved = false;
        if (replay.Status is ReplayStatus.Completed or ReplayStatus.Failed
            && activity.State.Replays.All(r => r.Status is ReplayStatus.Completed or ReplayStatus.Failed))
        {
            FreeActivation();
        }
    }

    /// <summary>
    /// A trace done with for now (scored by every evaluator pending on it, its last replay in flight reported, or a
    /// replay's new trace stored with no evaluator to wait for) leaves memory at once instead of after the collection
    /// age: ingestion and a sweep touch each of up to 100,000 traces for seconds, and keeping them all for the age
    /// would hold gigabytes. Everything is stored; the next call reads it back.
    /// </summary>
    private void FreeActivation()
    {
        if (!_historyUnsaved)
        {
            DeactivateOnIdle();
        }
    }

    public async Task<ReplaySnapshot> CompleteReplayAsync(TraceData trace, ReplayRecord record)
    {
        if (state.State.Trace is { } existing)
        {
            // A retried create changes nothing, but re-writes the catalog row: a silo may have died before writing it.
            await catalog.UpsertAsync(TraceCatalogRow.From(existing, Evaluation));
            return state.State.Replay?.Outcome ?? record.Outcome!;
        }

        var progress = state.State.Replay;
        state.State.Trace = trace;
        state.State.Replay = record;
        try
        {
            await PersistAsync(complete: true);
        }
        catch
        {
            // Not known to be stored: the replay's retry writes it again.
            state.State.Trace = null;
            state.State.Replay = progress;
            throw;
        }

        if (Evaluation is not { Pending.Count: > 0 })
        {
            FreeActivation();
        }

        return record.Outcome!;
    }

    public Task<ReplayRecord?> GetReplayRecordAsync() => Task.FromResult(state.State.Replay);

    public async Task EnsureCatalogedAsync()
    {
        if (state.State.Trace is { } stored)
        {
            await catalog.UpsertAsync(TraceCatalogRow.From(stored, Evaluation));
        }
    }

    /// <summary>
    /// One state write (trace and, when due, the evaluator snapshot) alongside the catalog row, which says whether
    /// evaluations are pending.
    /// </summary>
    private async Task PersistAsync(bool complete)
    {
        var evaluate = await SnapshotEvaluationsAsync(complete);
        await Task.WhenAll(state.WriteStateAsync(), catalog.UpsertAsync(TraceCatalogRow.From(state.State.Trace!, Evaluation)));
        if (evaluate)
        {
            await StartEvaluationsAsync();
        }
    }

    /// <summary>
    /// The purge mark first, then the body: a purge cut short in between leaves a marked trace that refuses replays,
    /// and retention, finding its catalog row still there, purges it again.
    /// </summary>
    public async Task PurgeAsync()
    {
        if (state.State.Trace is null)
        {
            return;
        }

        activity.State = new TraceActivity { PurgedAt = activity.State.PurgedAt ?? time.GetUtcNow() };
        await activity.WriteStateAsync();
        _historyUnsaved = false;
        // A replay's new trace keeps its replay's final state: the replay recovers it from here when activated again.
        state.State = new TraceState { Replay = state.State.Replay?.Outcome is { } outcome ? ReplayRecord.Completed(outcome) : null };
        await state.WriteStateAsync();
    }

    /// <summary>One write of the activity: the spans are not rewritten.</summary>
    public async Task AddScoreAsync(TraceScore score)
    {
        score = score.Bounded();
        var scores = activity.State.Scores;
        scores.RemoveAll(s => s.EvaluatorId == score.EvaluatorId && s.EvaluatorVersion == score.EvaluatorVersion && s.SpanId == score.SpanId);
        scores.Add(score);
        var lastPending = MarkEvaluated(score);
        await activity.WriteStateAsync();
        _historyUnsaved = false;
        if (lastPending)
        {
            await MarkCatalogEvaluatedAsync();
            FreeActivation();
        }
    }

    // Scores stored before reasoning was bounded are cut on the way out, so one of them cannot break every read.
    public Task<IReadOnlyList<TraceScore>> GetScoresAsync() => Task.FromResult<IReadOnlyList<TraceScore>>([.. activity.State.Scores.Select(s => s.Bounded())]);

    /// <summary>
    /// An LLM or embedding span recorded without a cost gets one from the price table when its model and usage are
    /// known (an embedding has no output tokens): the price in force when the call was made (its start, else now),
    /// stored with the span so a later price change leaves it alone.
    /// </summary>
    private SpanData PriceSpan(SpanData span) =>
        span.Cost is null && (span.Type == SpanType.Llm || (span.Type == SpanType.Retrieval && span.Model is not null))
            ? span with { Cost = prices.Cost(span.Model, span.PromptTokens, span.CompletionTokens, span.StartTime ?? time.GetUtcNow()) }
            : span;

    private static DateTimeOffset? EarliestStart(List<SpanData> spans)
    {
        var starts = spans.Where(s => s.StartTime is not null).Select(s => s.StartTime!.Value).ToList();
        return starts.Count > 0 ? starts.Min() : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay {ReplayId} of trace {TraceId} started ({Spans} LLM spans)")]
    private static partial void LogReplayStarted(ILogger logger, string replayId, string traceId, int spans);
}
