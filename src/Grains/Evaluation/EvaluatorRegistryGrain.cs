namespace TraceReplay.Grains.Evaluation;

/// <summary>A project's evaluators: the registry's persisted state.</summary>
[GenerateSerializer, Alias("TraceReplay.EvaluatorRegistryState")]
public sealed class EvaluatorRegistryState
{
    [Id(0)] public List<EvaluatorDefinition> Evaluators { get; set; } = [];
}

/// <summary>
/// One project's evaluator registry. New traces read it once, when they are created, to snapshot the enabled
/// evaluators; evaluation itself never goes through here.
/// </summary>
public sealed class EvaluatorRegistryGrain(
    [PersistentState("registry", TraceReplayNames.EvaluatorStorage)] IPersistentState<EvaluatorRegistryState> state,
    EvaluatorCatalog catalog,
    TimeProvider time) : Grain, IEvaluatorRegistryGrain
{
    private const int MaxNameLength = 200;

    public async Task<EvaluatorResult> CreateAsync(NewEvaluator evaluator)
    {
        var type = catalog.Canonical(evaluator.Type);
        var error = NameError(evaluator.Name, null)
            ?? (type is null ? catalog.Validate(evaluator.Type, evaluator.ConfigJson) : catalog.Validate(type, evaluator.ConfigJson));
        if (error is not null)
        {
            return EvaluatorResult.Refused(ErrorKind.Validation, error);
        }

        var now = time.GetUtcNow();
        var created = new EvaluatorDefinition(
            "ev_" + Guid.NewGuid().ToString("N"), this.GetPrimaryKeyString(), evaluator.Name.Trim(), type!, evaluator.ConfigJson,
            evaluator.Enabled, 1, now, now);
        state.State.Evaluators.Add(created);
        await state.WriteStateAsync();
        return new EvaluatorResult(created, null);
    }

    public async Task<EvaluatorResult> UpdateAsync(string id, EvaluatorPatch patch)
    {
        var index = state.State.Evaluators.FindIndex(e => e.Id == id);
        if (index < 0)
        {
            return EvaluatorResult.Refused(ErrorKind.NotFound, $"evaluator '{id}' not found.");
        }

        var current = state.State.Evaluators[index];
        var error = (patch.Name is null ? null : NameError(patch.Name, id))
            ?? (patch.ConfigJson is null ? null : catalog.Validate(current.Type, patch.ConfigJson));
        if (error is not null)
        {
            return EvaluatorResult.Refused(ErrorKind.Validation, error);
        }

        var configChanged = patch.ConfigJson is not null && !System.Text.Json.Nodes.JsonNode.DeepEquals(
            System.Text.Json.Nodes.JsonNode.Parse(patch.ConfigJson), System.Text.Json.Nodes.JsonNode.Parse(current.ConfigJson));
        var updated = current with
        {
            Name = patch.Name?.Trim() ?? current.Name,
            ConfigJson = configChanged ? patch.ConfigJson! : current.ConfigJson,
            Enabled = patch.Enabled ?? current.Enabled,
            Version = configChanged ? current.Version + 1 : current.Version,
        };
        if (updated != current)
        {
            state.State.Evaluators[index] = updated with { UpdatedAt = time.GetUtcNow() };
            await state.WriteStateAsync();
        }

        return new EvaluatorResult(state.State.Evaluators[index], null);
    }

    public async Task<bool> DeleteAsync(string id)
    {
        if (state.State.Evaluators.RemoveAll(e => e.Id == id) == 0)
        {
            return false;
        }

        await state.WriteStateAsync();
        return true;
    }

    public Task<EvaluatorDefinition?> GetAsync(string id) => Task.FromResult(state.State.Evaluators.FirstOrDefault(e => e.Id == id));

    public Task<IReadOnlyList<EvaluatorDefinition>> ListAsync() => Task.FromResult<IReadOnlyList<EvaluatorDefinition>>([.. state.State.Evaluators]);

    private string? NameError(string name, string? exceptId)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "name must be a non-empty string.";
        }

        if (name.Trim().Length > MaxNameLength)
        {
            return $"name must be at most {MaxNameLength} characters.";
        }

        if (name.Any(char.IsControl))
        {
            return "name must not contain control characters.";
        }

        var taken = state.State.Evaluators.FirstOrDefault(e => e.Id != exceptId && string.Equals(e.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
        return taken is null ? null : $"name '{name.Trim()}' is already used by evaluator '{taken.Id}'.";
    }
}
