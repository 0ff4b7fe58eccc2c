namespace TraceReplay.Grains.Replays;

/// <summary>The template a replay re-renders with, and the names of the templates the trace's spans used.</summary>
public sealed record TemplateContext(
    PromptTemplateVersion? Override,
    IReadOnlyDictionary<string, string> RecordedTemplateNames)
{
    public static TemplateContext Empty { get; } = new(null, new Dictionary<string, string>());
}

/// <summary>What will be sent for one LLM span, and what the overrides changed in it.</summary>
public sealed record PlannedCall(
    SpanData Span,
    LlmCallRequest Request,
    string? ModelParametersJson,
    string? InputJson,
    string? TemplateVersionId,
    bool ModelChanged,
    bool ParametersChanged,
    bool TemplateChanged);

/// <summary>Every LLM call of a replay in span order, or why the replay cannot run; and the LLM spans it skips.</summary>
public sealed record ReplayPlan(IReadOnlyList<PlannedCall> Calls, string? Error, IReadOnlyList<SkippedSpan>? Skipped = null)
{
    /// <summary>LLM spans marked not replayable: copied as recorded, named in the replay.</summary>
    public IReadOnlyList<SkippedSpan> SkippedSpans => Skipped ?? [];

    public OverrideCounts Counts => new(
        Calls.Count(c => c.ModelChanged), Calls.Count(c => c.ParametersChanged), Calls.Count(c => c.TemplateChanged));
}
