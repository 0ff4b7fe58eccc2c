namespace TraceReplay.Grains;

/// <summary>
/// The one place a trace's grain key is made: a trace id is the client's, so two projects may use the same one.
/// The default project keeps the bare id (so data and tools from before projects still resolve); any other project's
/// key is <c>project + U+001F + trace id</c>. Trace ids never contain control characters (ingestion refuses them),
/// so no trace id of one project can spell another project's key.
/// </summary>
public static class TraceKeys
{
    /// <summary>Separates project and trace id in a key; a control character, so no valid trace id contains it.</summary>
    public const char Separator = '\u001F';

    /// <summary>The grain key of <paramref name="traceId"/> in <paramref name="project"/>; use it for every ITraceGrain and IEvaluationGrain.</summary>
    public static string For(string project, string traceId) =>
        project == TraceReplayNames.DefaultProject ? traceId : string.Concat(project, Separator.ToString(), traceId);

    /// <summary>The project and trace id a key was made from.</summary>
    public static (string Project, string TraceId) Parse(string key) =>
        key.IndexOf(Separator) is var at and >= 0 ? (key[..at], key[(at + 1)..]) : (TraceReplayNames.DefaultProject, key);
}
