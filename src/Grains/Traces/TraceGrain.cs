using Microsoft.Extensions.Options;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Telemetry;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// One trace: assembles its span tree from ingestion batches in any order, keeps its catalog row current, and owns
/// its replay history. Starting a replay validates everything that can be known up front and returns at once.
/// </summary>
public sealed partial class TraceGrain(
    [PersistentState("trace", TraceReplayNames.TraceStorage)] IPersistentState<TraceState> state,
    ITraceCatalog catalog,
    ModelPriceTable prices,
    LlmProviderRegistry providers,
    IOptions<TraceReplayOptions> options,
    TimeProvider time,
    ILogger<TraceGrain> logger) : Grain, ITraceGrain
{
    // A sweep's PENDING history entry is in memory only until the next state write (see StartReplayAsync).
    private bool _historyUnsaved;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_historyUnsaved)
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

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

            if (JsonArrayOf(content.InputMessagesJson) is { Count: > 0 } messages)
            {
                if (state.State.ContentFromLogs.Contains(span.Id) && JsonArrayOf(span.InputJson) is { } earlier)
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

    private static System.Text.Json.Nodes.JsonArray? JsonArrayOf(string? json)
    {
        try
        {
            return json is null ? null : System.Text.Json.Nodes.JsonNode.Parse(json) as System.Text.Json.Nodes.JsonArray;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private void KeepPending(IEnumerable<SpanContent> contents, DateTimeOffset now)
    {
        state.State.PendingContents = [.. state.State.PendingContents.Concat(contents)
            .Where(c => c.ReceivedAt > now - PendingContentWindow)
            .OrderBy(c => c.ReceivedAt)
            .TakeLast(MaxPendingContents)];
    }

    public Task<TraceData?> GetAsync() => Task.FromResult(state.State.Trace);

    public async Task<ReplayStartResult> StartReplayAsync(ReplayOverrides overrides, ReplaySupervisor? supervisor = null)
    {
        var (project, traceId) = TraceKeys.Parse(this.GetPrimaryKeyString());
        using var scope = LogScopes.Trace(logger, traceId);
        if (state.State.PurgedAt is { } purgedAt)
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

        var (templates, templateError) = await TemplateContextLoader.LoadAsync(GrainFactory, trace, overrides);
        var plan = templateError is null ? ReplayPlanner.Plan(trace, overrides, templates) : new ReplayPlan([], templateError);
        if (plan.Error is not null)
        {
            return ReplayStartResult.Refused(ErrorKind.Validation, plan.Error);
        }

        var unserved = plan.Calls.Select(c => c.Request.Model).Distinct(StringComparer.Ordinal).Where(m => !providers.IsServed(m)).ToList();
        if (unserved.Count > 0)
        {
            var field = overrides.Model is not null ? "model" : "the recorded model";
            return ReplayStartResult.Refused(ErrorKind.Validation,
                $"{field} '{unserved[0]}' is not served by any configured provider. Served models: {string.Join(", ", providers.ServedModels)}.");
        }

        var replayId = supervisor?.ReplayId ?? "rpl_" + Guid.NewGuid().ToString("N");
        var skipped = plan.SkippedSpans.Count == 0 ? null : plan.SkippedSpans;
        var start = new ReplayStart(traceId, overrides, plan.Calls.Count, plan.Counts, now, skipped, project, supervisor?.SweepId, supervisor?.Prices, supervisor?.CompletionTokenMargin);
        if (state.State.Replays.All(r => r.Id != replayId))
        {
            var pending = new ReplaySnapshot(replayId, traceId, ReplayStatus.Pending, overrides, now, null, null, null, 0,
                plan.Calls.Count, null, plan.Counts, null, skipped, Project: project);
            state.State.Replays.Insert(0, pending);
            if (supervisor is null)
            {
                await state.WriteStateAsync();
            }
            else
            {
                // A sweep's replay: the sweep re-issues this start after a crash, so the PENDING entry need not be
                // stored now; it is stored with the trace's next write — at the latest the replay's final report.
                _historyUnsaved = true;
            }
        }

        var started = await GrainFactory.GetGrain<IReplayGrain>(replayId).StartAsync(start);
        LogReplayStarted(logger, replayId, traceId, plan.Calls.Count);
        return new ReplayStartResult(started, null);
    }

    public Task<IReadOnlyList<ReplaySnapshot>> GetReplaysAsync() => Task.FromResult<IReadOnlyList<ReplaySnapshot>>([.. state.State.Replays]);

    public async Task RecordReplayAsync(ReplaySnapshot replay)
    {
        var index = state.State.Replays.FindIndex(r => r.Id == replay.Id);
        if (index < 0)
        {
            state.State.Replays.Insert(0, replay);
        }
        else if (replay.Status >= state.State.Replays[index].Status)
        {
            // Statuses only move forward; a late report of an earlier state changes nothing.
            state.State.Replays[index] = replay;
        }
        else
        {
            return;
        }

        await state.WriteStateAsync();
        _historyUnsaved = false;
    }

    public async Task CreateFromReplayAsync(TraceData trace)
    {
        if (state.State.Trace is { } existing)
        {
            // A retried create changes nothing, but re-writes the catalog row: a silo may have died before writing it.
            await catalog.UpsertAsync(TraceCatalogRow.From(existing, state.State.Evaluation));
            return;
        }

        state.State.Trace = trace;
        await PersistAsync(complete: true);
    }

    /// <summary>
    /// One state write (trace and, when due, the evaluator snapshot) alongside the catalog row, which says whether
    /// evaluations are pending.
    /// </summary>
    private async Task PersistAsync(bool complete)
    {
        var evaluate = await SnapshotEvaluationsAsync(complete);
        await Task.WhenAll(state.WriteStateAsync(), catalog.UpsertAsync(TraceCatalogRow.From(state.State.Trace!, state.State.Evaluation)));
        if (evaluate)
        {
            await StartEvaluationsAsync();
        }
    }

    public async Task PurgeAsync()
    {
        if (state.State.Trace is null)
        {
            return;
        }

        state.State = new TraceState { PurgedAt = time.GetUtcNow() };
        await state.WriteStateAsync();
    }

    public async Task AddScoreAsync(TraceScore score)
    {
        score = score.Bounded();
        state.State.Scores.RemoveAll(s => s.EvaluatorId == score.EvaluatorId && s.EvaluatorVersion == score.EvaluatorVersion && s.SpanId == score.SpanId);
        state.State.Scores.Add(score);
        var lastPending = MarkEvaluated(score);
        await state.WriteStateAsync();
        if (lastPending)
        {
            await MarkCatalogEvaluatedAsync();
        }
    }

    // Scores stored before reasoning was bounded are cut on the way out, so one of them cannot break every read.
    public Task<IReadOnlyList<TraceScore>> GetScoresAsync() => Task.FromResult<IReadOnlyList<TraceScore>>([.. state.State.Scores.Select(s => s.Bounded())]);

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
