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

    /// <summary>Grain storage for projects, their hashed API keys and their quotas.</summary>
    public const string ProjectStorage = "projects";

    /// <summary>The key of the one <see cref="IProjectRegistryGrain"/>.</summary>
    public const string ProjectRegistry = "all";

    /// <summary>The stream provider that carries trace events.</summary>
    public const string StreamProvider = "trace-events";

    /// <summary>The stream namespace of <see cref="TraceCreated"/> events; the stream key is the trace id.</summary>
    public const string TraceCreatedNamespace = "trace-created";

    /// <summary>The project that always exists: the all-in-one key (TRACEREPLAY_API_KEY) and the demo data belong to it.</summary>
    public const string DefaultProject = "default";

    /// <summary>Every grain storage the service uses: memory or PostgreSQL alike, so none is forgotten in one mode.</summary>
    public static IReadOnlyList<string> GrainStorages { get; } = [TraceStorage, ReplayStorage, TemplateStorage, SweepStorage, EvaluatorStorage, ProjectStorage];
}
