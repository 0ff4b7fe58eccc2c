namespace TraceReplay.Grains;

/// <summary>Where a replay trace came from.</summary>
[GenerateSerializer, Immutable]
public sealed record TraceLineage(
    [property: Id(0)] string TraceId,
    [property: Id(1)] string ReplayId);

/// <summary>The trace-level fields of a trace-create event.</summary>
[GenerateSerializer, Immutable]
public sealed record TraceHeader(
    [property: Id(0)] string Name,
    [property: Id(1)] string? MetadataJson,
    [property: Id(2)] IReadOnlyList<string> Tags,
    [property: Id(3)] DateTimeOffset Timestamp);

/// <summary>
/// What one ingestion batch carries for one trace: its header if the batch had one, spans, and message content
/// recorded apart from its span (OpenTelemetry GenAI event log records). <see cref="BatchId"/> names the request it
/// came in: a trace applies one batch once however often it is delivered (the ingest journal re-delivers batches whose
/// apply was interrupted).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TraceIngest(
    [property: Id(0)] TraceHeader? Header,
    [property: Id(1)] IReadOnlyList<SpanData> Spans,
    [property: Id(2)] IReadOnlyList<SpanContent>? Contents = null,
    [property: Id(3)] string? BatchId = null);

/// <summary>
/// An LLM span's messages as GenAI event log records carried them, keyed by span id: the request's messages in order
/// (a JSON array of chat messages) and the first choice's answer (JSON, in the shape spans record outputs). Either may
/// be missing; contents for one span from several batches add up (input messages appended, the latest answer kept).
/// </summary>
[GenerateSerializer, Immutable, Alias("TraceReplay.SpanContent")]
public sealed record SpanContent(
    [property: Id(0)] string SpanId,
    [property: Id(1)] string? InputMessagesJson,
    [property: Id(2)] string? OutputJson,
    [property: Id(3)] DateTimeOffset ReceivedAt);

/// <summary>A whole trace: header, spans and lineage. Large; read it, do not copy it into other grains' state.</summary>
[GenerateSerializer, Immutable]
public sealed record TraceData(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string? MetadataJson,
    [property: Id(3)] IReadOnlyList<string> Tags,
    [property: Id(4)] DateTimeOffset Timestamp,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] IReadOnlyList<SpanData> Spans,
    [property: Id(7)] TraceLineage? ReplayOf,
    [property: Id(8)] bool HasHeader,
    [property: Id(9)] string Project = TraceReplayNames.DefaultProject);
