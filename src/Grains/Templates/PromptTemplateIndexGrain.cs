namespace TraceReplay.Grains.Templates;

/// <summary>A project's template names and which template each version id belongs to (key: project).</summary>
public sealed class PromptTemplateIndexGrain(
    [PersistentState("promptTemplateIndex", TraceReplayNames.TemplateStorage)] IPersistentState<PromptTemplateIndexState> state)
    : Grain, IPromptTemplateIndexGrain
{
    public async Task AddAsync(string versionId, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(versionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        var current = state.State;
        if (current.NamesByVersionId.TryGetValue(versionId, out var known))
        {
            if (known != name)
            {
                throw new InvalidOperationException($"Version '{versionId}' already belongs to template '{known}', not '{name}'.");
            }

            return;
        }

        var names = current.Names;
        var position = BinarySearch(names, name);
        if (position < 0)
        {
            var sorted = new List<string>(names);
            sorted.Insert(~position, name);
            names = sorted;
        }

        state.State = current with
        {
            NamesByVersionId = new Dictionary<string, string>(current.NamesByVersionId) { [versionId] = name },
            Names = names,
        };
        await state.WriteStateAsync();
    }

    public Task<string?> FindNameAsync(string versionId) =>
        Task.FromResult(state.State.NamesByVersionId.TryGetValue(versionId, out var name) ? name : null);

    public Task<IReadOnlyList<string>> GetNamesAsync() => Task.FromResult(state.State.Names);

    private static int BinarySearch(IReadOnlyList<string> sorted, string name)
    {
        int low = 0, high = sorted.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var comparison = string.CompareOrdinal(sorted[middle], name);
            if (comparison == 0)
            {
                return middle;
            }

            if (comparison < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
