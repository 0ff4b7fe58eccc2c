namespace TraceReplay.Grains;

/// <summary>Expected ways a request can be refused; each maps to one HTTP status.</summary>
public enum ErrorKind
{
    Validation = 0,
    NotFound = 1,
    Gone = 2,
    Conflict = 3,

    /// <summary>A size limit (413), such as spans per trace.</summary>
    TooLarge = 4,

    /// <summary>A limit on work in flight (429), such as replays per project.</summary>
    LimitExceeded = 5,
}

/// <summary>A refusal with a message that names the offending field or object.</summary>
[GenerateSerializer, Immutable]
public sealed record RequestError(
    [property: Id(0)] ErrorKind Kind,
    [property: Id(1)] string Message);

/// <summary>Either the started replay or why it was refused.</summary>
[GenerateSerializer, Immutable]
public sealed record ReplayStartResult(
    [property: Id(0)] ReplaySnapshot? Replay,
    [property: Id(1)] RequestError? Error)
{
    public static ReplayStartResult Refused(ErrorKind kind, string message) => new(null, new RequestError(kind, message));
}
