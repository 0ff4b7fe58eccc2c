namespace TraceReplay.Grains;

/// <summary>Names of grain storages, streams and well-known keys: the one place they are spelled.</summary>
public static class TraceReplayNames
{
    /// <summary>Grain storage for traces and their replay history.</summary>
    public const string TraceStorage = "traces";

    /// <summary>Grain storage for replay state machines and their span results.</summary>
    public const string ReplayStorage = "replays";

    /// <summary>Grain storage for sweeps and the per-project sweep registry.</summary>
    public const string SweepStorage = "sweeps";

    /// <summary>Grain storage for prompt templates.</summary>
    public const string TemplateStorage = "templates";

    /// <summary>Grain storage for each project's evaluator registry.</summary>
    public const string EvaluatorStorage = "evaluators";

    /// <summary>The stream provider that carries trace events.</summary>
    public const string StreamProvider = "trace-events";

    /// <summary>The stream namespace of <see cref="TraceCreated"/> events; the stream key is the trace id.</summary>
    public const string TraceCreatedNamespace = "trace-created";

    /// <summary>The project every object belongs to until projects arrive with the hardening work.</summary>
    public const string DefaultProject = "default";

    /// <summary>Every grain storage the service uses: memory or PostgreSQL alike, so none is forgotten in one mode.</summary>
    public static IReadOnlyList<string> GrainStorages { get; } = [TraceStorage, ReplayStorage, TemplateStorage, SweepStorage, EvaluatorStorage];
}
