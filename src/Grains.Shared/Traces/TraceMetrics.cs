namespace TraceReplay.Grains.Traces;

/// <summary>Figures derived from a trace's spans; computed, never stored twice.</summary>
public sealed record TraceMetrics(
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    double? DurationMs,
    long? PromptTokens,
    long? CompletionTokens,
    decimal? TotalCost,
    SpanStatus Status,
    int SpanCount,
    int LlmSpanCount,
    bool Simulated,
    IReadOnlyList<string> Models)
{
    public long? TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>
    /// Sums the spans. The total cost is unknown (null) as soon as one LLM span's cost is unknown; spans of other
    /// kinds without a cost count as free. Token counts likewise: unknown as soon as one LLM span did not record its
    /// count (a streamed call without usage), never a made-up 0; other spans without counts add nothing.
    /// </summary>
    public static TraceMetrics From(IReadOnlyList<SpanData> spans)
    {
        var starts = spans.Where(s => s.StartTime is not null).Select(s => s.StartTime!.Value).ToList();
        var ends = spans.Where(s => s.EndTime is not null).Select(s => s.EndTime!.Value).ToList();
        DateTimeOffset? start = starts.Count > 0 ? starts.Min() : null;
        DateTimeOffset? end = ends.Count > 0 ? ends.Max() : null;
        var llmSpans = spans.Where(s => s.Type == SpanType.Llm).ToList();
        var costUnknown = llmSpans.Any(s => s.Cost is null);
        return new TraceMetrics(
            start,
            end,
            start is not null && end is not null ? Math.Max(0, (end.Value - start.Value).TotalMilliseconds) : null,
            llmSpans.Any(s => s.PromptTokens is null) ? null : spans.Sum(s => (long)(s.PromptTokens ?? 0)),
            llmSpans.Any(s => s.CompletionTokens is null) ? null : spans.Sum(s => (long)(s.CompletionTokens ?? 0)),
            costUnknown ? null : spans.Sum(s => s.Cost ?? 0m),
            spans.Any(s => s.Status == SpanStatus.Error) ? SpanStatus.Error : SpanStatus.Ok,
            spans.Count,
            llmSpans.Count,
            spans.Any(s => s.Simulated),
            [.. llmSpans.Select(s => s.Model).OfType<string>().Distinct(StringComparer.Ordinal)]);
    }
}
