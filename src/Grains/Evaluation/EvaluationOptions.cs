namespace TraceReplay.Grains.Evaluation;

/// <summary>Automatic scoring of new traces (section <c>TraceReplay:Evaluation</c>).</summary>
public sealed class EvaluationOptions
{
    public const string Section = "TraceReplay:Evaluation";

    /// <summary>The judge model of LLM-based evaluators whose config names none. Default gpt-4o-mini.</summary>
    public string JudgeModel { get; set; } = "gpt-4o-mini";

    /// <summary>
    /// How long after an ingested trace first has its header and a root span scoring starts, so spans of the next few
    /// batches are scored too. Replay traces are complete and start at once. Default 1 s.
    /// </summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often evaluation recovery re-drives traces whose evaluations are still pending this long after creation, in
    /// case the trace-created event was lost or a silo died mid-evaluation (the period of its one reminder). Default
    /// 1 min, the smallest reminder period Orleans allows by default.
    /// </summary>
    public TimeSpan RedriveInterval { get; set; } = TimeSpan.FromMinutes(1);
}
