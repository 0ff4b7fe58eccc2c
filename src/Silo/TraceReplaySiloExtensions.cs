using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Silo;

/// <summary>The one silo configuration every host calls: the all-in-one API, the standalone silo, the test cluster.</summary>
public static class TraceReplaySiloExtensions
{
    /// <summary>Grain storage, reminders and the services grains use. Clustering is the host's: see <see cref="UseTraceReplayClustering"/>.</summary>
    public static ISiloBuilder AddTraceReplay(this ISiloBuilder silo)
    {
        silo.AddMemoryGrainStorage(TraceReplayNames.TraceStorage);
        silo.AddMemoryGrainStorage(TraceReplayNames.ReplayStorage);
        silo.AddMemoryGrainStorage(TraceReplayNames.TemplateStorage);
        silo.AddMemoryGrainStorage(TraceReplayNames.SweepStorage);
        silo.UseInMemoryReminderService();

        var services = silo.Services;
        services.AddOptions<TraceReplayOptions>().BindConfiguration(TraceReplayOptions.Section);
        services.AddOptions<SweepOptions>().BindConfiguration(SweepOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ITraceCatalog, InMemoryTraceCatalog>();
        services.AddLlmGateway();
        services.AddSingleton<LlmPool>();
        return silo;
    }

    /// <summary>Localhost clustering on the configured ports (Orleans:Endpoints:SiloPort / GatewayPort).</summary>
    public static ISiloBuilder UseTraceReplayClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var siloPort = configuration.GetValue("Orleans:Endpoints:SiloPort", EndpointOptions.DEFAULT_SILO_PORT);
        var gatewayPort = configuration.GetValue("Orleans:Endpoints:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
        silo.UseLocalhostClustering(siloPort, gatewayPort);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = configuration["Orleans:ClusterId"] ?? "tracereplay";
            o.ServiceId = configuration["Orleans:ServiceId"] ?? "tracereplay";
        });
        return silo;
    }
}
