using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace TraceReplay.Grains.Traces;

/// <summary>
/// Marks a grain constructor parameter of type <see cref="LazyState{TState}"/>: a persistent state that is read when the
/// grain first needs it (<see cref="LazyState{TState}.LoadAsync"/>), not on activation as with
/// <see cref="PersistentStateAttribute"/>. Same state name and storage, so the same stored record.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class LazyStateAttribute(string stateName, string storageName) : Attribute, IFacetMetadata
{
    public string StateName { get; } = stateName;

    public string StorageName { get; } = storageName;
}

/// <summary>Creates the <see cref="LazyState{TState}"/> of a parameter marked <see cref="LazyStateAttribute"/>.</summary>
public sealed class LazyStateAttributeMapper : IAttributeToFactoryMapper<LazyStateAttribute>
{
    public Factory<IGrainContext, object> GetFactory(ParameterInfo parameter, LazyStateAttribute metadata)
    {
        var type = parameter.ParameterType;
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(LazyState<>))
        {
            throw new InvalidOperationException($"[LazyState] marks a LazyState<T> parameter, not {type} ('{parameter.Name}').");
        }

        return context => Activator.CreateInstance(type,
            context.ActivationServices.GetRequiredKeyedService<IGrainStorage>(metadata.StorageName), metadata.StateName, context.GrainId)!;
    }
}

/// <summary>
/// A grain's persistent state, read on first need instead of on activation. Until then only <see cref="LoadAsync"/>,
/// <see cref="AssumeNew"/> and <see cref="IsLoaded"/> may be used; reading the state before throws.
/// </summary>
public sealed class LazyState<TState>(IGrainStorage storage, string stateName, GrainId grainId) : IPersistentState<TState>
    where TState : class, new()
{
    private GrainState<TState>? _held;
    private Task? _loading;

    /// <summary>Whether the state was read (or assumed new) in this activation.</summary>
    public bool IsLoaded => _held is not null;

    public TState State
    {
        get => Held.State!; // never null: set by every read and by AssumeNew
        set => Held.State = value;
    }

    public string? Etag => Held.ETag;

    public bool RecordExists => Held.RecordExists;

    /// <summary>Reads the state unless it was read already; concurrent callers share one read.</summary>
    public Task LoadAsync()
    {
        if (_held is not null)
        {
            return Task.CompletedTask;
        }

        // A read that failed is not shared: the next caller reads again.
        if (_loading is null || _loading.IsCompleted)
        {
            _loading = ReadCoreAsync();
        }

        return _loading;
    }

    /// <summary>
    /// Takes the state as not stored, without reading: its first write inserts the record, and fails with
    /// <see cref="InconsistentStateException"/> when one exists after all (then <see cref="Forget"/> and load).
    /// </summary>
    public void AssumeNew() => _held = new GrainState<TState>(new TState());

    /// <summary>Drops what is held: the next <see cref="LoadAsync"/> reads storage again.</summary>
    public void Forget() => _held = null;

    public Task ReadStateAsync() => ReadStateAsync(CancellationToken.None);

    public Task ReadStateAsync(CancellationToken cancellationToken)
    {
        _held = null;
        return LoadAsync();
    }

    public Task WriteStateAsync() => WriteStateAsync(CancellationToken.None);

    public Task WriteStateAsync(CancellationToken cancellationToken) => storage.WriteStateAsync(stateName, grainId, Held);

    public Task ClearStateAsync() => ClearStateAsync(CancellationToken.None);

    public Task ClearStateAsync(CancellationToken cancellationToken) => storage.ClearStateAsync(stateName, grainId, Held);

    private GrainState<TState> Held =>
        _held ?? throw new InvalidOperationException($"The '{stateName}' state of {grainId} was used before it was loaded.");

    private async Task ReadCoreAsync()
    {
        var read = new GrainState<TState>(new TState());
        await storage.ReadStateAsync(stateName, grainId, read);
        read.State ??= new TState();
        _held = read;
    }
}
