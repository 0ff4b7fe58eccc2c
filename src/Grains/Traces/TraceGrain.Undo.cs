namespace TraceReplay.Grains.Traces;

/// <summary>
/// A batch is stored all or nothing across its traces. Each trace keeps, in memory, what it held before its latest
/// batch ingest; when the batch is refused (another trace of it refused or failed), the API asks every trace of it to
/// take its part back. An ingest that fails here puts the trace back at once, in memory and, where the write went
/// through, in storage.
/// </summary>
public sealed partial class TraceGrain
{
    // What the trace held before its latest batch ingest; kept until the next ingest or a completed undo.
    private IngestUndo? _undo;

    public async Task<RequestError?> IngestAsync(TraceIngest ingest)
    {
        var before = IngestUndo.Of(ingest.BatchId, state.State);
        RequestError? refused;
        try
        {
            refused = await IngestCoreAsync(ingest);
        }
        catch
        {
            // Kept even when the restore below works: the API's undo of the batch then finds nothing left to do.
            _undo = before;
            try
            {
                await RestoreAsync(before);
                _undo = null;
            }
            catch (Exception restoreError)
            {
                LogRestoreFailed(logger, restoreError, TraceKeys.Parse(this.GetPrimaryKeyString()).TraceId);
            }

            throw;
        }

        // A refused ingest changed nothing: an earlier batch's undo stays valid.
        if (refused is null)
        {
            _undo = ingest.BatchId is null ? null : before;
        }

        return refused;
    }

    public async Task UndoIngestAsync(string batchId)
    {
        if (_undo is not { } undo || undo.BatchId != batchId)
        {
            return;
        }

        await RestoreAsync(undo);
        _undo = null;
    }

    /// <summary>
    /// Puts the trace back as it was before an ingest: a trace that held nothing loses its state and catalog row, any
    /// other is written back with its earlier catalog row. Repeating it is harmless.
    /// </summary>
    private async Task RestoreAsync(IngestUndo before)
    {
        state.State.Trace = before.Trace;
        state.State.PendingContents = before.PendingContents;
        state.State.ContentFromLogs = before.ContentFromLogs is null ? new(StringComparer.Ordinal) : new(before.ContentFromLogs, StringComparer.Ordinal);
        state.State.Evaluation = before.Evaluation;
        try
        {
            if (!before.WasEmpty)
            {
                await state.WriteStateAsync();
            }
            else if (state.RecordExists)
            {
                await state.ClearStateAsync();
            }

            if (before.Trace is { } trace)
            {
                await catalog.UpsertAsync(TraceCatalogRow.From(trace, before.Evaluation));
            }
            else
            {
                var (project, traceId) = TraceKeys.Parse(this.GetPrimaryKeyString());
                await catalog.DeleteAsync(project, [traceId]);
            }
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            // Storage holds a version this activation has not seen (a write that went through while reported failed):
            // the next activation reads it afresh, and a repeated undo then finds nothing of the batch to take back.
            _undo = null;
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>The parts of the state an ingest changes, as they were before it.</summary>
    private sealed record IngestUndo(
        string? BatchId, TraceData? Trace, List<SpanContent> PendingContents, HashSet<string>? ContentFromLogs,
        EvaluationStatus? Evaluation, bool WasEmpty)
    {
        public static IngestUndo Of(string? batchId, TraceState state) => new(
            batchId, state.Trace, state.PendingContents,
            state.ContentFromLogs.Count == 0 ? null : [.. state.ContentFromLogs],
            state.Evaluation,
            WasEmpty: state.Trace is null && state.PendingContents.Count == 0 && state.Evaluation is null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Putting trace {TraceId} back after a failed ingest failed; the batch's undo retries it")]
    private static partial void LogRestoreFailed(ILogger logger, Exception exception, string traceId);
}
