namespace TraceReplay.Grains;

/// <summary>A project's evaluators (key: project): create, change, delete, and the enabled set new traces snapshot.</summary>
[Alias("TraceReplay.IEvaluatorRegistryGrain")]
public interface IEvaluatorRegistryGrain : IGrainWithStringKey
{
    /// <summary>Validates the config for its type and adds the evaluator at version 1.</summary>
    [Alias("CreateAsync")]
    Task<EvaluatorResult> CreateAsync(NewEvaluator evaluator);

    /// <summary>Applies a change; a changed config is validated and bumps the version.</summary>
    [Alias("UpdateAsync")]
    Task<EvaluatorResult> UpdateAsync(string id, EvaluatorPatch patch);

    /// <summary>Removes the evaluator; false when there was none. Traces already created keep their pending run.</summary>
    [Alias("DeleteAsync")]
    Task<bool> DeleteAsync(string id);

    /// <summary>One evaluator, or null.</summary>
    [Alias("GetAsync"), AlwaysInterleave]
    Task<EvaluatorDefinition?> GetAsync(string id);

    /// <summary>Every evaluator, oldest first.</summary>
    [Alias("ListAsync"), AlwaysInterleave]
    Task<IReadOnlyList<EvaluatorDefinition>> ListAsync();
}
