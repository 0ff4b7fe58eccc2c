using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using TraceReplay.Grains;
using TraceReplay.Grains.Ingestion;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Replays;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Grains.Traces;
using TraceReplay.Silo.Postgres;

namespace TraceReplay.Silo;

/// <summary>The one silo configuration every host calls: the all-in-one API, the standalone silo, the test cluster.</summary>
public static class TraceReplaySiloExtensions
{
    /// <summary>Grain storage, reminders and the services grains use. Clustering is the host's: see <see cref="UseTraceReplayClustering"/>.</summary>
    public static ISiloBuilder AddTraceReplay(this ISiloBuilder silo)
    {
        // Storage, reminders and catalog: PostgreSQL when a connection string is configured, else in memory.
        if (PostgresSettings.ConnectionString(silo.Configuration) is { } postgres)
        {
            silo.AddTraceReplayPostgres(postgres);
        }
        else
        {
            foreach (var storage in TraceReplayNames.GrainStorages)
            {
                silo.AddMemoryGrainStorage(storage);
                // Orleans' own serializer, as on PostgreSQL: the JSON default was a fifth of the CPU of a replay.
                silo.Services.AddKeyedSingleton<IGrainStorageSerializer>(storage,
                    (services, _) => new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>()));
            }

            silo.UseInMemoryReminderService();
        }

        var services = silo.Services;
        services.AddOptions<TraceReplayOptions>().BindConfiguration(TraceReplayOptions.Section)
            .Validate(o => o.MaxSpansPerTrace >= 1, $"{TraceReplayOptions.Section}:MaxSpansPerTrace must be at least 1.")
            .Validate(o => o.RetentionSweepInterval > TimeSpan.Zero, $"{TraceReplayOptions.Section}:RetentionSweepInterval must be positive.")
            .ValidateOnStart();
        services.AddOptions<SweepOptions>().BindConfiguration(SweepOptions.Section)
            .Validate(o => o.BackfillPollInterval > TimeSpan.Zero && o.SafetyPollInterval > TimeSpan.Zero && o.CheckpointInterval > TimeSpan.Zero,
                $"{SweepOptions.Section}:BackfillPollInterval, SafetyPollInterval and CheckpointInterval must be positive.")
            .Validate(o => o.DefaultMaxInFlight >= 0 && o.MaxInFlightLimit >= 1,
                $"{SweepOptions.Section}:DefaultMaxInFlight must not be negative and MaxInFlightLimit must be at least 1.")
            .ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .Validate(o => o.MaxPinnedTraces > 0, $"{RetentionOptions.Section}:MaxPinnedTraces must be at least 1.").ValidateOnStart();
        services.AddOptions<ReplayRecoveryOptions>().BindConfiguration(ReplayRecoveryOptions.Section)
            .Validate(o => o.ReminderPeriod > TimeSpan.Zero && o.GiveUpAfter > TimeSpan.Zero,
                $"{ReplayRecoveryOptions.Section}:ReminderPeriod and GiveUpAfter must be positive.")
            .ValidateOnStart();
        // Orleans refuses reminder periods under a minute unless told otherwise; recovery may be configured faster.
        services.AddOptions<ReminderOptions>().Configure<IOptions<ReplayRecoveryOptions>>((reminders, recovery) =>
            reminders.MinimumReminderPeriod = TimeSpan.FromTicks(Math.Min(reminders.MinimumReminderPeriod.Ticks, recovery.Value.ReminderPeriod.Ticks)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ITraceCatalog, InMemoryTraceCatalog>();
        services.TryAddSingleton<IIngestJournal, InMemoryIngestJournal>();
        // TraceGrain reads its state on first need, not on activation: a new trace's ingest reads nothing.
        services.AddSingleton<IAttributeToFactoryMapper<LazyStateAttribute>, LazyStateAttributeMapper>();
        services.TryAddSingleton<IReplayResultJournal, InMemoryReplayResultJournal>();
        services.TryAddSingleton<ISweepStatusStore, InMemorySweepStatusStore>();
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section)
            .Validate(o => o.RecoveryAge > TimeSpan.Zero && o.RecoveryInterval > TimeSpan.Zero,
                $"{IngestOptions.Section}:RecoveryAge and RecoveryInterval must be positive.")
            .ValidateOnStart();
        services.AddLlmGateway();
        services.AddSingleton<ProviderRateGate>();
        services.AddSingleton<LlmPool>();
        silo.AddTraceEvaluation();
        // Grain calls carry the caller's trace context and appear as spans when tracing is on.
        silo.AddActivityPropagation();
        // Building the price table validates TraceReplay:Llm:Prices: a bad override stops the start, naming the model.
        silo.AddStartupTask((services, _) =>
        {
            services.GetRequiredService<ModelPriceTable>();
            return Task.CompletedTask;
        });
        silo.AddStartupTask((services, _) =>
            services.GetRequiredService<IGrainFactory>().GetGrain<IRetentionGrain>(TraceReplayNames.DefaultProject).EnsureScheduledAsync());
        silo.AddStartupTask((services, _) =>
            services.GetRequiredService<IGrainFactory>().GetGrain<IEvaluationRecoveryGrain>(0).EnsureScheduledAsync());
        silo.AddStartupTask((services, _) =>
            services.GetRequiredService<IGrainFactory>().GetGrain<IIngestRecoveryGrain>(0).EnsureScheduledAsync());
        return silo;
    }

    /// <summary>
    /// Clustering on the configured ports (Orleans:Endpoints:SiloPort / GatewayPort): membership in PostgreSQL when a
    /// connection string is configured, else localhost clustering for a single silo.
    /// </summary>
    public static ISiloBuilder UseTraceReplayClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var siloPort = configuration.GetValue("Orleans:Endpoints:SiloPort", EndpointOptions.DEFAULT_SILO_PORT);
        var gatewayPort = configuration.GetValue("Orleans:Endpoints:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
        if (PostgresSettings.ConnectionString(configuration) is { } postgres)
        {
            silo.Services.AddTraceReplayDataSource(postgres);
            silo.UseAdoNetClustering(o => o.Configure<NpgsqlDataSource>((options, dataSource) =>
            {
                options.Invariant = PostgresSettings.Invariant;
                options.DataSource = dataSource;
            }));
            // Other silos and clients reach this silo at the advertised address: loopback unless configured (the
            // machine's or pod's own address when silos run on several machines).
            var advertised = configuration["Orleans:Endpoints:AdvertisedIPAddress"] is { Length: > 0 } ip ? IPAddress.Parse(ip) : IPAddress.Loopback;
            silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
            silo.Services.AddOptions<ClusterMembershipOptions>().Configure(ApplyMembershipDefaults).BindConfiguration("Orleans:Membership");
        }
        else
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort);
        }

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = configuration["Orleans:ClusterId"] ?? "tracereplay";
            o.ServiceId = configuration["Orleans:ServiceId"] ?? "tracereplay";
        });
        return silo;
    }

    /// <summary>
    /// Membership tuned so a cluster comes back from a total outage: a silo writes its I-am-alive row every 10 s and
    /// an entry three writes stale (30 s) is dead to a joining silo, which neither pings it nor waits for it, and is
    /// declared dead by the first silo that probes it. Silos that answer no probe for 3 × 5 s are suspected and, with
    /// fewer than two other silos to vote, declared dead by one vote. Orleans' defaults (a 5-minute I-am-alive period
    /// and 10 minutes of staleness) kept a new silo in Joining for minutes after every old one was killed. Each value
    /// may be overridden under <c>Orleans:Membership</c>.
    /// </summary>
    public static void ApplyMembershipDefaults(ClusterMembershipOptions options)
    {
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
        options.NumMissedTableIAmAliveLimit = 3;
        options.ProbeTimeout = TimeSpan.FromSeconds(5);
        options.NumMissedProbesLimit = 3;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(10);
        options.MaxJoinAttemptTime = TimeSpan.FromMinutes(5);
    }
}
