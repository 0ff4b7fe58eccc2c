using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using TraceReplay.Silo;
using TraceReplay.Silo.Postgres;

namespace TraceReplay.Tests.Postgres;

/// <summary>Hosts for cluster tests on PostgreSQL: in-process silos and an Orleans client that finds them through membership.</summary>
public static class PostgresSilo
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The configuration of one silo of cluster <paramref name="clusterId"/>, as command-line style key/values.</summary>
    public static Dictionary<string, string?> SiloSettings(string db, string clusterId, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:Endpoints:SiloPort"] = FreePort().ToString(),
            ["Orleans:Endpoints:GatewayPort"] = FreePort().ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static async Task<IHost> StartSiloAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo.AddTraceReplay().UseTraceReplayClustering(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task<IHost> StartClientAsync(string db, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresSettings.Invariant;
                o.ConnectionString = db;
            });
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static IClusterClient Client(this IHost host) => host.Services.GetRequiredService<IClusterClient>();
}
