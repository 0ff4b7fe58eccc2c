namespace TraceReplay.Grains.Replays;

/// <summary>How unfinished replays are recovered (section <c>TraceReplay:Replays</c>).</summary>
public sealed class ReplayRecoveryOptions
{
    public const string Section = "TraceReplay:Replays";

    /// <summary>
    /// Period of the reminder that re-drives an unfinished replay. After its silo dies, a replay resumes within one
    /// period of the cluster declaring the silo dead. Default 1 minute.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// An unfinished replay this long after it was created is failed (code <c>REPLAY_TIMED_OUT</c>) at its next reminder
    /// tick instead of being driven again, so none stays PENDING or RUNNING forever. Default 6 hours.
    /// </summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(6);
}
