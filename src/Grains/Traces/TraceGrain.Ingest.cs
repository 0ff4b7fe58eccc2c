using Orleans.Storage;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// A batch is stored all or nothing across its traces through the ingest journal (<see cref="IngestJournal"/>): every
/// trace of the batch first prepares it (the spans-per-trace limit, with room held for it), then the batch is
/// journaled, then each trace applies it. A trace remembers the batches it applied, so one the journal delivers again
/// changes nothing; an apply whose write fails is forgotten in memory, so the journal's next delivery applies it again.
/// A trace the batch's caller found no catalog row for is taken as new: it is neither read to prepare nor to apply, and
/// its first write inserts it (0 reads, 1 write), or finds it stored after all, reads it and applies again.
/// </summary>
public sealed partial class TraceGrain : IIncomingGrainCallFilter
{
    /// <summary>How many applied batch ids a trace keeps: a batch re-delivered after this many later ones is merged again (spans by id).</summary>
    public const int RememberedBatches = 64;

    /// <summary>How long a prepared batch holds room when it is neither applied nor released (its request died).</summary>
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(2);

    // Prepared batches not applied yet: their span ids, counted against the limit for later batches. In memory only:
    // a batch journaled when its trace's activation is lost is applied all the same.
    private readonly Dictionary<string, Reservation> _reservations = new(StringComparer.Ordinal);

    /// <summary>Every call but the ingest steps has the trace's state read first (once per activation).</summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.MethodName is not (nameof(PrepareIngestAsync) or nameof(IngestAsync) or nameof(ReleaseIngestAsync)))
        {
            await LoadAsync();
        }

        await context.Invoke();
    }

    public async Task<RequestError?> PrepareIngestAsync(string batchId, string[] spanIds, bool isNew = false)
    {
        var now = time.GetUtcNow();
        if (_reservations.Count > 0)
        {
            foreach (var expired in _reservations.Where(r => r.Value.ExpiresAt <= now).Select(r => r.Key).ToList())
            {
                _reservations.Remove(expired);
            }
        }

        // Taken as new: nothing stored to count, and nothing applied here before.
        var assumeNew = isNew && !state.IsLoaded;
        if (!assumeNew)
        {
            await LoadAsync();
            if (state.State.AppliedBatches.Contains(batchId))
            {
                return null;
            }
        }

        var ids = new HashSet<string>(spanIds, StringComparer.Ordinal);
        if (!assumeNew && state.State.Trace is { } stored)
        {
            ids.UnionWith(stored.Spans.Select(s => s.Id));
        }

        foreach (var reservation in _reservations.Values)
        {
            ids.UnionWith(reservation.SpanIds);
        }

        if (ids.Count > options.Value.MaxSpansPerTrace)
        {
            return TooManySpans(TraceKeys.Parse(this.GetPrimaryKeyString()).TraceId, ids.Count);
        }

        _reservations[batchId] = new Reservation(spanIds, now + ReservationLifetime, assumeNew);
        return null;
    }

    public Task ReleaseIngestAsync(string batchId)
    {
        _reservations.Remove(batchId);
        return Task.CompletedTask;
    }

    public async Task<RequestError?> IngestAsync(TraceIngest ingest)
    {
        var assumeNew = false;
        if (ingest.BatchId is { } batchId && _reservations.Remove(batchId, out var reservation))
        {
            assumeNew = reservation.AssumedNew && !state.IsLoaded;
        }

        RequestError? refused;
        if (assumeNew)
        {
            state.AssumeNew();
            try
            {
                refused = await ApplyAsync(ingest, assumedNew: true);
                // No activity is ever written for a trace whose body was not stored: it has none either.
                if (!activity.IsLoaded)
                {
                    activity.AssumeNew();
                }
            }
            catch (InconsistentStateException)
            {
                // Stored after all (its catalog row was not written yet, or it has only log contents, or it was purged):
                // read it and apply the batch to what is stored. The catalog row written meanwhile is written again.
                state.Forget();
                await LoadAsync();
                refused = await ApplyAsync(ingest, assumedNew: false);
            }
        }
        else
        {
            await LoadAsync();
            refused = await ApplyAsync(ingest, assumedNew: false);
        }

        if (_reservations.Count == 0 && Evaluation is not { Pending.Count: > 0 })
        {
            // Nothing pending on it: it leaves memory now, not after the collection age (a later batch reads it back).
            FreeActivation();
        }

        return refused;
    }

    private async Task<RequestError?> ApplyAsync(TraceIngest ingest, bool assumedNew)
    {
        if (ingest.BatchId is { } batchId && state.State.AppliedBatches.Contains(batchId))
        {
            // Applied and stored before; its catalog row may be what failed then.
            if (state.State.Trace is { } stored)
            {
                await catalog.UpsertAsync(TraceCatalogRow.From(stored, Evaluation));
            }

            return null;
        }

        var before = Snapshot.Of(state.State);
        try
        {
            return await IngestCoreAsync(ingest);
        }
        catch (Exception ex) when (!(assumedNew && ex is InconsistentStateException))
        {
            // The write may or may not have gone through: forget the batch here, and let the next activation read
            // what storage holds (its version is unknown to this one). The journal delivers the batch again.
            before.Restore(state.State);
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>Spans held for prepared batches, not in <paramref name="trace"/> yet: what a direct ingest must leave room for.</summary>
    private int ReservedElsewhere(TraceData trace)
    {
        if (_reservations.Count == 0)
        {
            return 0;
        }

        var present = trace.Spans.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        return _reservations.Values.SelectMany(r => r.SpanIds).Where(present.Add).Count();
    }

    private void RememberBatch(string? batchId)
    {
        if (batchId is null)
        {
            return;
        }

        var applied = state.State.AppliedBatches;
        state.State.AppliedBatches = [.. applied.Skip(Math.Max(0, applied.Count + 1 - RememberedBatches)), batchId];
    }

    private RequestError TooManySpans(string traceId, int count) => new(ErrorKind.TooLarge,
        $"trace '{traceId}' would have {count} spans; the limit is {options.Value.MaxSpansPerTrace} spans per trace.");

    /// <summary>A prepared batch's room; <paramref name="AssumedNew"/> when it was prepared without reading the trace.</summary>
    private sealed record Reservation(string[] SpanIds, DateTimeOffset ExpiresAt, bool AssumedNew);

    /// <summary>The parts of the state an ingest changes, as they were before it.</summary>
    private sealed record Snapshot(
        TraceData? Trace, List<SpanContent> PendingContents, HashSet<string> ContentFromLogs, EvaluationStatus? Evaluation,
        List<string> AppliedBatches)
    {
        public static Snapshot Of(TraceState state) => new(
            state.Trace, state.PendingContents, new(state.ContentFromLogs, StringComparer.Ordinal), state.Evaluation,
            state.AppliedBatches);

        public void Restore(TraceState state)
        {
            state.Trace = Trace;
            state.PendingContents = PendingContents;
            state.ContentFromLogs = ContentFromLogs;
            state.Evaluation = Evaluation;
            state.AppliedBatches = AppliedBatches;
        }
    }
}
