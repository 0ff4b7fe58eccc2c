namespace TraceReplay.Grains.Ingestion;

/// <summary>
/// Accepted ingestion batches not yet applied to every trace they carry. A batch is accepted when its row is
/// committed here (one statement); it is deleted once every trace applied it, and <see cref="IngestRecoveryGrain"/>
/// applies the rows an interrupted request left behind.
/// </summary>
public interface IIngestJournal
{
    /// <summary>Journals <paramref name="batch"/>: when this returns, the batch is durable and accepted.</summary>
    Task AppendAsync(IngestBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Deletes batches every trace applied (or whose append failed); an unknown id is ignored.</summary>
    Task DiscardAsync(string batchId, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> batches journaled at least <paramref name="age"/> ago, oldest first.</summary>
    Task<IReadOnlyList<IngestBatch>> OlderThanAsync(TimeSpan age, int limit, CancellationToken cancellationToken = default);
}

/// <summary>One accepted request: each trace's part, keyed by the trace grain's key (<see cref="TraceKeys.For"/>).</summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.IngestBatch")]
public sealed record IngestBatch(
    [property: Id(0)] string Id,
    [property: Id(1)] IReadOnlyDictionary<string, TraceIngest> Traces)
{
    /// <summary>Applies the batch to each of its traces, in parallel; true when every one of them stored it.</summary>
    public async Task<bool> ApplyAsync(IGrainFactory grains, Action<string, Exception> failed)
    {
        var outcomes = await Task.WhenAll(Traces.Select(async part =>
        {
            try
            {
                await grains.GetGrain<ITraceGrain>(part.Key).IngestAsync(part.Value);
                return true;
            }
            catch (Exception ex)
            {
                failed(part.Key, ex);
                return false;
            }
        }));
        return Array.TrueForAll(outcomes, ok => ok);
    }
}

/// <summary>Ingestion settings (section <c>TraceReplay:Ingest</c>).</summary>
public sealed class IngestOptions
{
    public const string Section = "TraceReplay:Ingest";

    /// <summary>How old a journaled batch must be before recovery applies it (its request normally has). Default 10 s.</summary>
    public TimeSpan RecoveryAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often recovery looks for such batches. Default 5 s.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(5);
}
