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

    /// <summary>
    /// How long a silo keeps a trace's trace-events stream (its consumer and cursor records, about 1 KB) after the
    /// stream's last event: Orleans' <c>StreamInactivityPeriod</c> for that provider, whose own default is 30 minutes. A
    /// trace's stream carries one TraceCreated event, so a silo that ingested or replayed 100,000 traces in half an hour
    /// kept 100,000 of them for nothing; a later event on a dropped stream registers it again. Default 30 s.
    /// </summary>
    public TimeSpan TraceStreamLifetime { get; set; } = TimeSpan.FromSeconds(30);
}
