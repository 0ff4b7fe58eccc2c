namespace TraceReplay.Grains;

/// <summary>
/// A batch's calls to its traces, made on the silo (a stateless worker, key 0): the API makes one call per step of a
/// batch, and this grain fans it out to the batch's traces on the cluster's side, so a batch of 50 traces crosses the
/// gateway twice, not a hundred times. The API still decides what a batch's outcome is (it journals the batch
/// between the two steps). Keys are trace grain keys (<see cref="TraceKeys.For"/>).
/// </summary>
[Alias("TraceReplay.IIngestGrain")]
public interface IIngestGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Prepares the batch on each of its traces (<see cref="ITraceGrain.PrepareIngestAsync"/>): null when all held room
    /// for it; else the first refusal, and the room the others held is given back. A trace's failure is thrown after
    /// the same give-back.
    /// </summary>
    [Alias("PrepareAsync")]
    Task<RequestError?> PrepareAsync(string batchId, IReadOnlyDictionary<string, string[]> spanIds);

    /// <summary>Gives back the room a prepared batch held on these traces: the batch was refused after its preparation.</summary>
    [Alias("ReleaseAsync"), OneWay]
    Task ReleaseAsync(string batchId, IReadOnlyList<string> traceKeys);

    /// <summary>
    /// Applies a journaled batch to each of its traces, in parallel: true when every one of them stored it. A trace that
    /// failed is logged on the silo; the journal still holds the batch, and ingest recovery applies it.
    /// </summary>
    [Alias("ApplyAsync")]
    Task<bool> ApplyAsync(string batchId, IReadOnlyDictionary<string, TraceIngest> traces);
}
