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

    /// <summary>The project every object belongs to until projects arrive with the hardening work.</summary>
    public const string DefaultProject = "default";
}
