using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
using TraceReplay.Grains.Llm;
using TraceReplay.Silo;
using TraceReplay.Silo.Postgres;

namespace TraceReplay.Api.Infrastructure;

/// <summary>How the API reaches the cluster (<c>TraceReplay:Role</c>).</summary>
public enum ApiRole
{
    /// <summary>The API co-hosts a silo (the default).</summary>
    AllInOne = 0,

    /// <summary>The API is an Orleans client of a cluster of <c>src/Silo</c> processes, found through PostgreSQL membership.</summary>
    Client = 1,
}

/// <summary>The API's side of Orleans: a co-hosted silo, or a client of a PostgreSQL-clustered set of silos.</summary>
public static class ApiClusterHosting
{
    public const string RoleKey = "TraceReplay:Role";

    /// <summary>The Orleans Dashboard's path on the API in cluster mode (PostgreSQL configured).</summary>
    public const string DashboardPath = "/orleans-dashboard";

    public static ApiRole Role(IConfiguration configuration) =>
        configuration[RoleKey] is { Length: > 0 } role
            ? Enum.TryParse<ApiRole>(role, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new InvalidOperationException($"{RoleKey} must be AllInOne or Client, not '{role}'.")
            : ApiRole.AllInOne;

    public static WebApplicationBuilder AddTraceReplayCluster(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (Role(configuration) == ApiRole.AllInOne)
        {
            builder.UseOrleans(silo => silo.AddTraceReplay().UseTraceReplayClustering(configuration));
            return builder;
        }

        var postgres = PostgresSettings.ConnectionString(configuration)
            ?? throw new InvalidOperationException(
                $"{RoleKey}=Client needs ConnectionStrings:Postgres (or {PostgresSettings.EnvironmentVariable}) to find the cluster.");
        builder.UseOrleansClient(client =>
        {
            client.UseAdoNetClustering(o => o.Configure<NpgsqlDataSource>((options, dataSource) =>
            {
                options.Invariant = PostgresSettings.Invariant;
                options.DataSource = dataSource;
            }));
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = configuration["Orleans:ClusterId"] ?? "tracereplay";
                o.ServiceId = configuration["Orleans:ServiceId"] ?? "tracereplay";
            });
            client.AddDashboard();
            client.AddActivityPropagation();
            // The API outlives the cluster: it starts before any silo and rides out the loss of every gateway. The
            // connection is retried until the host stops, and the gateway list is re-read often enough that a silo
            // that comes back on new ports is found within seconds.
            client.UseConnectionRetryFilter(RetryConnectionAsync);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = GatewayListRefreshPeriod);
        });
        // The web host serves /health/live (and 503 elsewhere) while the client is still looking for a gateway.
        builder.Services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        // What the handlers use besides grains: the catalog (read directly from PostgreSQL) and the model catalog.
        builder.Services.AddTraceReplayPostgres(postgres);
        builder.Services.AddLlmGateway();
        return builder;
    }

    /// <summary>How often the client re-reads the gateways from membership (Orleans' default is a minute).</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ConnectionRetryDelay = TimeSpan.FromSeconds(2);

    private static async Task<bool> RetryConnectionAsync(Exception exception, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(ConnectionRetryDelay, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Maps the Orleans Dashboard at <see cref="DashboardPath"/> when the cluster runs on PostgreSQL.</summary>
    public static WebApplication MapOrleansOperatorDashboard(this WebApplication app)
    {
        if (PostgresSettings.ConnectionString(app.Configuration) is not null)
        {
            app.MapOrleansDashboard(DashboardPath);
        }

        return app;
    }
}
