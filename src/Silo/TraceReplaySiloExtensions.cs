using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using TraceReplay.Grains;
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
        services.AddOptions<TraceReplayOptions>().BindConfiguration(TraceReplayOptions.Section);
        services.AddOptions<SweepOptions>().BindConfiguration(SweepOptions.Section);
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .Validate(o => o.MaxPinnedTraces > 0, $"{RetentionOptions.Section}:MaxPinnedTraces must be at least 1.").ValidateOnStart();
        services.AddOptions<ReplayRecoveryOptions>().BindConfiguration(ReplayRecoveryOptions.Section);
        // Orleans refuses reminder periods under a minute unless told otherwise; recovery may be configured faster.
        services.AddOptions<ReminderOptions>().Configure<IOptions<ReplayRecoveryOptions>>((reminders, recovery) =>
            reminders.MinimumReminderPeriod = TimeSpan.FromTicks(Math.Min(reminders.MinimumReminderPeriod.Ticks, recovery.Value.ReminderPeriod.Ticks)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ITraceCatalog, InMemoryTraceCatalog>();
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
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresSettings.Invariant;
                o.ConnectionString = postgres;
            });
            // Other silos and clients reach this silo at the advertised address: loopback unless configured (the
            // machine's or pod's own address when silos run on several machines).
            var advertised = configuration["Orleans:Endpoints:AdvertisedIPAddress"] is { Length: > 0 } ip ? IPAddress.Parse(ip) : IPAddress.Loopback;
            silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
            silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration("Orleans:Membership");
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
}
