namespace TraceReplay.Grains;

/// <summary>
/// Scores one trace (key: trace id) with the evaluators it is pending for. Activated by the trace-created stream
/// (implicit subscription) or, when that event was lost, by evaluation recovery through the trace.
/// </summary>
[Alias("TraceReplay.IEvaluationGrain")]
public interface IEvaluationGrain : IGrainWithStringKey
{
    /// <summary>Schedules the pending evaluations and returns at once; repeating it changes nothing.</summary>
    [Alias("StartAsync")]
    Task StartAsync(TraceCreated created);
}
