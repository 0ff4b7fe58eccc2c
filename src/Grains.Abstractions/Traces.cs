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

/// <summary>What one ingestion batch carries for one trace: its header if the batch had one, and spans.</summary>
[GenerateSerializer, Immutable]
public sealed record TraceIngest(
    [property: Id(0)] TraceHeader? Header,
    [property: Id(1)] IReadOnlyList<SpanData> Spans);

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
