namespace TraceReplay.Grains.Replays;

/// <summary>
/// The durable record of a completed replay, kept in the body of its new trace (whose id is fixed by the replay id): its
/// final state, written in the same write as the new trace. A replay recovers from it when it is activated again, so its
/// own state is written only at admission (and when it fails); the results of a replay still running are in the
/// <see cref="IReplayResultJournal"/>. (An earlier version wrote them here as they arrived: <see cref="Results"/>, read
/// when such a replay resumes.)
/// </summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.ReplayRecord")]
public sealed record ReplayRecord(
    [property: Id(0)] DateTimeOffset StartedAt,
    [property: Id(1)] IReadOnlyDictionary<string, SpanResult> Results,
    [property: Id(2)] IReadOnlyList<DatedPrice> PricesUsed,
    [property: Id(3)] ReplaySnapshot? Outcome = null,
    [property: Id(4)] ReplayReference? Reference = null)
{
    /// <summary>A completed replay's record: its final state; the results are in the new trace's spans.</summary>
    public static ReplayRecord Completed(ReplaySnapshot outcome) =>
        new(outcome.StartedAt ?? outcome.CreatedAt, new Dictionary<string, SpanResult>(StringComparer.Ordinal), [], outcome);
}

/// <summary>
/// The original trace's root output as text, what reference-based evaluators compare the new trace with; kept with the
/// completed replay so that scoring the new trace does not read the original again (it has left memory by then).
/// </summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.ReplayReference")]
public sealed record ReplayReference([property: Id(0)] string? Output);
