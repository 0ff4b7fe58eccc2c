using TraceReplay.Grains.Evaluation.Evaluators;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Evaluation;

/// <summary>Runs one evaluator on one trace and turns the outcome into the score the trace keeps.</summary>
public sealed partial class EvaluationRunner(EvaluatorCatalog catalog, TimeProvider time, ILogger<EvaluationRunner> logger)
{
    /// <param name="expectedOutput">The reference: for a replay, the original trace's root output.</param>
    public async Task<TraceScore> RunAsync(EvaluatorDefinition evaluator, TraceData trace, string? expectedOutput, CancellationToken cancellationToken = default)
    {
        var prepared = catalog.Prepare(evaluator);
        var implementation = prepared.Implementation;
        EvaluationOutcome outcome;
        if (implementation is null || prepared.Error is not null)
        {
            outcome = EvaluationOutcome.Failed(prepared.Error!);
        }
        else
        {
            var root = Root(trace);
            var input = new EvaluationInput(
                trace.Id, root?.Id, ChatPayload.PayloadText(root?.InputJson), ChatPayload.PayloadText(OutputOf(trace, root)), expectedOutput, trace, prepared.Config);
            var settings = prepared.Settings!;
            try
            {
                // Computation (a regex, a schema, a similarity) runs on the thread pool, so a slow one holds neither
                // this grain's turn nor the silo's scheduler threads that every project's grains share.
                outcome = implementation.CpuBound
                    ? await Task.Run(() => implementation.EvaluateAsync(input, settings, cancellationToken), cancellationToken)
                    : await implementation.EvaluateAsync(input, settings, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A bug or an unexpected failure is the evaluator's error, recorded as such; never a score.
                LogEvaluatorFailed(logger, ex, evaluator.Id, trace.Id);
                outcome = EvaluationOutcome.Failed($"the evaluator failed unexpectedly: {ex.GetType().Name}.");
            }
        }

        return new TraceScore(
            evaluator.Id, evaluator.Name, evaluator.Type, outcome.Error is null ? outcome.Score : null, outcome.Error is null ? outcome.Label : null,
            outcome.Reasoning, evaluator.Version, time.GetUtcNow(), outcome.Error, null, implementation?.HigherIsBetter ?? true).Bounded();
    }

    /// <summary>
    /// The trace's output: the root's, unless a replay could not derive it from the replayed answers
    /// (<see cref="SpanData.OutputReplayed"/> false) — then the last replayed answer under the root, never a copied original.
    /// </summary>
    public static string? OutputOf(TraceData trace, SpanData? root)
    {
        if (root is not { OutputReplayed: false })
        {
            return root?.OutputJson;
        }

        var parents = trace.Spans.ToDictionary(s => s.Id, s => s.ParentSpanId, StringComparer.Ordinal);
        bool Under(SpanData span)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var p = span.ParentSpanId; p is not null && seen.Add(p); p = parents.GetValueOrDefault(p))
            {
                if (p == root.Id)
                {
                    return true;
                }
            }

            return false;
        }

        return trace.Spans
            .Where(s => s.Type == SpanType.Llm && s.OutputReplayed == true && Under(s))
            .OrderBy(s => s.EndTime ?? DateTimeOffset.MinValue)
            .LastOrDefault()?.OutputJson;
    }

    /// <summary>The root span: the first without a parent in the trace.</summary>
    /// <summary>What a replay of <paramref name="original"/> is compared with: the original's root output, as text.</summary>
    public static string? ReferenceOutput(TraceData original) =>
        Root(original) is { OutputJson: { } output } ? ChatPayload.PayloadText(output) : null;

    public static SpanData? Root(TraceData trace)
    {
        var ids = trace.Spans.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        return trace.Spans.FirstOrDefault(s => s.ParentSpanId is null) ?? trace.Spans.FirstOrDefault(s => !ids.Contains(s.ParentSpanId!));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluator {EvaluatorId} failed on trace {TraceId}")]
    private static partial void LogEvaluatorFailed(ILogger logger, Exception exception, string evaluatorId, string traceId);
}
