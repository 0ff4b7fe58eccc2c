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

    public async Task<RequestError?> IngestAsync(TraceIngest ingest)
    {
        using var scope = LogScopes.Trace(logger, this.GetPrimaryKeyString());
        var now = time.GetUtcNow();
        var spans = ingest.Spans.Select(PriceSpan).ToList();
        var current = state.State.Trace;
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

                merged[span.Id] = span;
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

        if (trace.Spans.Count > options.Value.MaxSpansPerTrace)
        {
            return new RequestError(ErrorKind.TooLarge,
                $"trace '{trace.Id}' would have {trace.Spans.Count} spans; the limit is {options.Value.MaxSpansPerTrace} spans per trace.");
        }

        state.State.Trace = trace;
        await PersistAsync(complete: false);
        TraceReplayMetrics.SpansIngested(ingest.Spans.Count);
        return null;
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
        if (retentionDays > 0 && trace.Timestamp < now.AddDays(-retentionDays))
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
        var start = new ReplayStart(traceId, overrides, plan.Calls.Count, plan.Counts, now, skipped, project, supervisor?.SweepId, supervisor?.CompletionTokenMargin);
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
        state.State.Scores.RemoveAll(s => s.EvaluatorId == score.EvaluatorId && s.EvaluatorVersion == score.EvaluatorVersion && s.SpanId == score.SpanId);
        state.State.Scores.Add(score);
        var lastPending = MarkEvaluated(score);
        await state.WriteStateAsync();
        if (lastPending)
        {
            await MarkCatalogEvaluatedAsync();
        }
    }

    public Task<IReadOnlyList<TraceScore>> GetScoresAsync() => Task.FromResult<IReadOnlyList<TraceScore>>([.. state.State.Scores]);

    /// <summary>An LLM span recorded without a cost gets one from the price table when its usage is known.</summary>
    private SpanData PriceSpan(SpanData span) =>
        span.Type == SpanType.Llm && span.Cost is null ? span with { Cost = prices.Cost(span.Model, span.PromptTokens, span.CompletionTokens) } : span;

    private static DateTimeOffset? EarliestStart(List<SpanData> spans)
    {
        var starts = spans.Where(s => s.StartTime is not null).Select(s => s.StartTime!.Value).ToList();
        return starts.Count > 0 ? starts.Min() : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay {ReplayId} of trace {TraceId} started ({Spans} LLM spans)")]
    private static partial void LogReplayStarted(ILogger logger, string replayId, string traceId, int spans);
}
