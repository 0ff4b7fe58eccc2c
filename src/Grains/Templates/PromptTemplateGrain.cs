namespace TraceReplay.Grains.Templates;

/// <summary>
/// One prompt template and its immutable versions (key: "{project}/{name}"; the name is everything after the first '/').
/// Declared variables may list more names than the content uses (documentation, a chosen order), never fewer; without
/// a declaration the variables are the ones the content uses, in order of first appearance.
/// </summary>
public sealed class PromptTemplateGrain(
    [PersistentState("promptTemplate", TraceReplayNames.TemplateStorage)] IPersistentState<PromptTemplateState> state,
    TimeProvider time)
    : Grain, IPromptTemplateGrain
{
    public async Task<PromptTemplateResult> CreateVersionAsync(NewPromptTemplateVersion request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (project, name) = PromptTemplateLookup.SplitKey(this.GetPrimaryKeyString());

        if (string.IsNullOrWhiteSpace(request.Content))
        {
            return Refuse("content is required");
        }

        if (PromptTemplateRenderer.Validate(request.Content) is { } invalid)
        {
            return Refuse($"content is not a valid template: {invalid}");
        }

        var found = PromptTemplateRenderer.FindVariables(request.Content);
        IReadOnlyList<string> variables = found;
        if (request.Variables is { } declared)
        {
            if (declared.FirstOrDefault(string.IsNullOrWhiteSpace) is not null)
            {
                return Refuse("variables must not contain blank names");
            }

            var undeclared = found.Where(v => !declared.Contains(v, StringComparer.Ordinal)).ToList();
            if (undeclared.Count > 0)
            {
                return Refuse($"variables must include every variable the content uses; missing {string.Join(", ", undeclared.Select(v => $"'{v}'"))}");
            }

            variables = [.. declared.Distinct(StringComparer.Ordinal)];
        }

        var versions = state.State.Versions;
        var version = new PromptTemplateVersion(
            Id: NewVersionId(),
            Name: name,
            Version: versions.Count + 1,
            Content: request.Content,
            Variables: variables,
            Description: request.Description,
            CommitMessage: request.CommitMessage,
            CreatedAt: time.GetUtcNow());

        state.State = state.State with { Versions = [.. versions, version] };
        await state.WriteStateAsync();

        // Registered after the write: an id the index knows always resolves to a stored version.
        await GrainFactory.GetGrain<IPromptTemplateIndexGrain>(project).AddAsync(version.Id, name);
        return new PromptTemplateResult(version, null);
    }

    public Task<IReadOnlyList<PromptTemplateVersion>> GetVersionsAsync() => Task.FromResult(state.State.Versions);

    private static PromptTemplateResult Refuse(string message) => new(null, new RequestError(ErrorKind.Validation, message));

    private static string NewVersionId() => "ptv_" + Guid.NewGuid().ToString("N")[..24];
}
