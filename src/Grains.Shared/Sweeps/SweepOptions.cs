namespace TraceReplay.Grains.Sweeps;

/// <summary>How sweeps run (section <c>TraceReplay:Sweeps</c>).</summary>
public sealed class SweepOptions
{
    public const string Section = "TraceReplay:Sweeps";

    /// <summary>
    /// The former name of <see cref="BackfillPollInterval"/> (from when sweeps polled too), still read so existing
    /// configuration keeps working; when both keys are set, <c>BackfillPollInterval</c> wins.
    /// </summary>
    public TimeSpan PollInterval { get => BackfillPollInterval; set => BackfillPollInterval = value; }

    /// <summary>How often a running evaluation backfill looks at its work and starts the next. Default 100 ms.</summary>
    public TimeSpan BackfillPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often a running sweep reads the in-flight replays it has not heard from. Each replay tells its sweep when it
    /// finishes (the sweep then starts the next one at once), so this only catches a lost push and re-drives a replay
    /// whose silo died. Default 2 s.
    /// </summary>
    public TimeSpan SafetyPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a running sweep writes its progress (the chunks of entries that changed). Between checkpoints progress
    /// lives in the activation: after a crash the sweep resumes from the last checkpoint and re-issues the same starts
    /// (same replay ids), so nothing runs twice. Status changes are written at once. Default 1 s.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Replays in flight per LLM pool slot when a sweep is sized to the cluster's pools. A replay holds its place in the
    /// window for its LLM calls and for its own durable writes (creation, results, completion, the replay trace), so the
    /// window must cover both: on PostgreSQL at default durability the writes, not the model, set a zero-latency
    /// replay's time, and 4 per slot left the pool idle (P2 at 84 spans/s against 235 with a window of 100, same minutes,
    /// loaded machine). The extra replays wait at their silo's LLM gate, never in a grain's queue.
    /// </summary>
    public const int ReplaysPerPoolSlot = 32;

    /// <summary>
    /// Replays in flight when a sweep names no maxInFlight; 0 (the default) sizes it to the cluster's LLM pools:
    /// <see cref="ReplaysPerPoolSlot"/> × <see cref="Llm.LlmSpanWorker.ActivationsPerSilo"/> × active silos.
    /// </summary>
    public int DefaultMaxInFlight { get; set; }

    /// <summary>The largest maxInFlight a request may ask for. Default 1,000.</summary>
    public int MaxInFlightLimit { get; set; } = 1000;
}
