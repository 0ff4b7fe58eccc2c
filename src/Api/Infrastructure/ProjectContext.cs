namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// The project of the key that authenticated the request; every handler scopes what it reads and writes to it.
/// Minimal APIs bind parameters before endpoint filters run, so binding hands out one empty instance per request
/// (kept in <see cref="HttpContext.Items"/>) and <see cref="ApiKeyFilter"/> fills it in before the handler runs.
/// </summary>
public sealed class ProjectContext
{
    private const string ItemKey = "TraceReplay.ProjectContext";
    private string? _id;

    /// <summary>The project id; only outside the authenticated endpoints is it unset.</summary>
    public string Id => _id ?? throw new InvalidOperationException("The request was not authenticated with a project key.");

    /// <summary>The key's id, for the per-key rate limit (the configured key is <c>configured</c>).</summary>
    public string KeyId { get; private set; } = string.Empty;

    public static ValueTask<ProjectContext?> BindAsync(HttpContext context) => ValueTask.FromResult<ProjectContext?>(For(context));

    internal static ProjectContext For(HttpContext context)
    {
        if (context.Items[ItemKey] is not ProjectContext project)
        {
            context.Items[ItemKey] = project = new ProjectContext();
        }

        return project;
    }

    internal void Set(string projectId, string keyId)
    {
        _id = projectId;
        KeyId = keyId;
    }

    public override string ToString() => _id ?? "(unauthenticated)";
}
