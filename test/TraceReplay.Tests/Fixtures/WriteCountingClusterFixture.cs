using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using TraceReplay.Grains;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Traces;
using TraceReplay.Silo;
using TraceReplay.Tests.Fakes;

namespace TraceReplay.Tests.Fixtures;

/// <summary>
/// A one-silo cluster like <see cref="ClusterFixture"/> whose grain storages are each wrapped in a
/// <see cref="CountingGrainStorage"/>, and whose grain calls are logged: what a test counts is every state write and
/// every call the cluster made, with the real storage underneath.
/// </summary>
public sealed class WriteCountingClusterFixture : IAsyncLifetime
{
    public FakeOpenAiServer Llm { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>Every grain-state write and clear, in order.</summary>
    public ConcurrentQueue<StateWrite> Writes { get; } = new();

    /// <summary>Every grain-state read, in order.</summary>
    public ConcurrentQueue<StateWrite> Reads { get; } = new();

    /// <summary>Every append to the replay result journal: the replay and the span ids it carried, in order.</summary>
    public ConcurrentQueue<(string ReplayId, string[] SpanIds)> JournalAppends { get; } = new();

    /// <summary>The replay result journal under the counting wrapper (in memory, as in the all-in-one host).</summary>
    public InMemoryReplayResultJournal Journal { get; } = new();

    /// <summary>Every grain call the silo received: the target and the method's name.</summary>
    public ConcurrentQueue<(GrainId Target, string Method)> Calls { get; } = new();

    public async Task InitializeAsync()
    {
        Llm = await FakeOpenAiServer.StartAsync();
        var settings = FakeLlmConfiguration.For(Llm);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(settings));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddTraceReplay();
            CountingGrainStorage.Wrap(silo.Services, Writes, Reads);
            silo.Services.AddSingleton<IReplayResultJournal>(new CountingReplayResultJournal(Journal, JournalAppends));
            silo.AddIncomingGrainCallFilter(context =>
            {
                Calls.Enqueue((context.TargetId, context.InterfaceMethod.Name));
                return context.Invoke();
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Llm.DisposeAsync();
    }

    public Task<ReplaySnapshot> WaitForReplayAsync(string replayId) =>
        Eventually.ReturnsAsync(
            async () => (await Client.GetGrain<IReplayGrain>(replayId).GetAsync())!,
            r => r.Status is ReplayStatus.Completed or ReplayStatus.Failed,
            TimeSpan.FromSeconds(60),
            $"replay {replayId} to finish");
}

/// <summary>
/// One grain-state write (or clear) as the storage saw it; for a replay, its status and whether its origin knew; for a
/// replay's new trace, the replay record it holds.
/// </summary>
public sealed record StateWrite(string Storage, string StateName, GrainId GrainId, string? Note)
{
    public override string ToString() => $"{Storage}/{StateName} {GrainId}{(Note is null ? "" : " " + Note)}";
}

/// <summary>Counts the writes and reads of the storage registered under one name, then lets it do them.</summary>
public sealed class CountingGrainStorage(string name, IGrainStorage inner, ConcurrentQueue<StateWrite> writes, ConcurrentQueue<StateWrite> reads) : IGrainStorage
{
    /// <summary>Replaces each storage of <see cref="TraceReplayNames.GrainStorages"/> with a counting wrapper around it.</summary>
    public static void Wrap(IServiceCollection services, ConcurrentQueue<StateWrite> writes, ConcurrentQueue<StateWrite> reads)
    {
        foreach (var storage in TraceReplayNames.GrainStorages)
        {
            var registered = services.Last(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, storage));
            var create = registered.KeyedImplementationFactory
                ?? throw new InvalidOperationException($"grain storage '{storage}' is not registered by a factory.");
            services.Remove(registered);
            services.AddKeyedSingleton<IGrainStorage>(storage,
                (provider, key) => new CountingGrainStorage(storage, (IGrainStorage)create(provider, key), writes, reads));
        }
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        reads.Enqueue(new StateWrite(name, stateName, grainId, "read"));
        return inner.ReadStateAsync(stateName, grainId, grainState);
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        writes.Enqueue(new StateWrite(name, stateName, grainId, Note(grainState.State)));
        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        writes.Enqueue(new StateWrite(name, stateName, grainId, "clear"));
        return inner.ClearStateAsync(stateName, grainId, grainState);
    }

    private static string? Note(object? state) => state switch
    {
        ReplayState replay => $"{replay.Lifecycle?.Status} results={replay.Results.Count} originNotified={replay.OriginNotified}",
        TraceState { Replay: { } record } body => $"replay record results={record.Results.Count} outcome={record.Outcome?.Status} trace={body.Trace is not null}",
        _ => null,
    };
}

/// <summary>Counts the appends to a replay result journal, then lets it do them.</summary>
public sealed class CountingReplayResultJournal(IReplayResultJournal inner, ConcurrentQueue<(string ReplayId, string[] SpanIds)> appends) : IReplayResultJournal
{
    public Task AppendAsync(string replayId, IReadOnlyList<JournaledResult> results, CancellationToken cancellationToken = default)
    {
        appends.Enqueue((replayId, [.. results.Select(r => r.Result.SourceSpanId)]));
        return inner.AppendAsync(replayId, results, cancellationToken);
    }

    public Task<IReadOnlyList<JournaledResult>> ReadAsync(string replayId, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(replayId, cancellationToken);

    public Task DiscardAsync(string replayId, CancellationToken cancellationToken = default) => inner.DiscardAsync(replayId, cancellationToken);
}
