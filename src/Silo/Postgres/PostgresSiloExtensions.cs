using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using Orleans.Storage;
using TraceReplay.Grains;
using TraceReplay.Grains.Ingestion;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Silo.Postgres;

/// <summary>The PostgreSQL half of <see cref="TraceReplaySiloExtensions.AddTraceReplay"/>.</summary>
public static class PostgresSiloExtensions
{
    /// <summary>Grain storage, reminders, the catalog and schema migration at start-up, all on one PostgreSQL database.</summary>
    public static ISiloBuilder AddTraceReplayPostgres(this ISiloBuilder silo, string connectionString)
    {
        foreach (var storage in TraceReplayNames.GrainStorages)
        {
            silo.AddAdoNetGrainStorage(storage, o => o.Configure<NpgsqlDataSource>((options, dataSource) =>
            {
                options.Invariant = PostgresSettings.Invariant;
                options.DataSource = dataSource;
            }));
            // Orleans' own serializer, not the JSON default: it identifies state types by their [Id]s and [Alias]es,
            // never by CLR type names, so renaming or moving a state class keeps its stored data readable.
            silo.Services.AddKeyedSingleton<IGrainStorageSerializer>(storage,
                (services, _) => new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>()));
        }

        silo.UseAdoNetReminderService(o => o.Configure<NpgsqlDataSource>((options, dataSource) =>
        {
            options.Invariant = PostgresSettings.Invariant;
            options.DataSource = dataSource;
        }));
        silo.AddDashboard();
        silo.AddIncomingGrainCallFilter<StorageUnavailableFilter>();
        silo.Services.AddTraceReplayPostgres(connectionString);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, MigrateOnSiloStart>();
        return silo;
    }

    /// <summary>The Npgsql data source, the PostgreSQL catalog, the ingest and replay result journals, the sweep status store and the migrator: what silos and API clients share.</summary>
    public static IServiceCollection AddTraceReplayPostgres(this IServiceCollection services, string connectionString)
    {
        services.AddTraceReplayDataSource(connectionString);
        services.TryAddSingleton(sp => new SchemaMigrator(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ILogger<SchemaMigrator>>()));
        services.AddSingleton<PostgresTraceCatalog>();
        services.AddSingleton<ITraceCatalog>(sp => sp.GetRequiredService<PostgresTraceCatalog>());
        services.TryAddSingleton<IIngestJournal, PostgresIngestJournal>();
        services.TryAddSingleton<IReplayResultJournal, PostgresReplayResultJournal>();
        services.TryAddSingleton<ISweepStatusStore, PostgresSweepStatusStore>();
        return services;
    }

    /// <summary>
    /// The process's one <see cref="NpgsqlDataSource"/>, its pool bounded by <see cref="PostgresOptions.MaxConnections"/>:
    /// grain storage, reminders and membership (Orleans' ADO.NET providers take it as their <c>DataSource</c>), the
    /// catalog, the migrator and the health check all borrow from it, so the process never opens more.
    /// </summary>
    public static IServiceCollection AddTraceReplayDataSource(this IServiceCollection services, string connectionString)
    {
        services.AddOptions<PostgresOptions>().BindConfiguration(PostgresOptions.Section)
            .Validate(o => o.MaxConnections >= MinimumConnections,
                $"{PostgresOptions.Section}:MaxConnections must be at least {MinimumConnections} (membership, reminders and storage share it).")
            .ValidateOnStart();
        services.TryAddSingleton(sp => PostgresSettings.CreateDataSource(connectionString, sp.GetRequiredService<IOptions<PostgresOptions>>().Value.MaxConnections));
        return services;
    }

    private const int MinimumConnections = 2;

    /// <summary>Migrates before anything else in the silo starts: membership and storage read their SQL from the schema.</summary>
    private sealed class MigrateOnSiloStart(SchemaMigrator migrator, IOptions<PostgresOptions> options) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(MigrateOnSiloStart), ServiceLifecycleStage.First, async cancellationToken =>
            {
                if (options.Value.MigrateOnStart)
                {
                    await migrator.MigrateAsync(cancellationToken);
                }
            });
    }
}
