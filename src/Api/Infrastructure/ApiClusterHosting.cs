using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
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
        // What the handlers use besides grains: the catalog (read directly from PostgreSQL). Which models are served and
        // every price (a sweep's snapshot, ?repriceAt=now) are the silo's (IModelCatalogGrain), so this process's provider
        // settings decide nothing. No LLM gateway, provider registry, simulator or price table runs here.
        builder.Services.AddTraceReplayPostgres(postgres);
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

    /// <summary>
    /// Maps the Orleans Dashboard at <see cref="DashboardPath"/> when the cluster runs on PostgreSQL. It shows every
    /// project's grains and a live log stream, so it is an operator surface: every request under its path needs the
    /// admin key (<c>Authorization: Bearer</c>, or HTTP Basic with the key as password so a browser can sign in), and
    /// without an admin key configured it is unavailable (401).
    /// </summary>
    public static WebApplication MapOrleansOperatorDashboard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(DashboardPath))
            {
                await next(context);
                return;
            }

            if (IsAdmin(context))
            {
                await next(context);
                return;
            }

            var failures = context.RequestServices.GetRequiredService<UnauthenticatedRateLimiter>();
            if ((failures.Refuse(context) ?? failures.Failed(context)) is { } tooMany)
            {
                await tooMany.ExecuteAsync(context);
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Basic realm=\"TraceReplay operator\", charset=\"UTF-8\"";
            var admin = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.AdminKey;
            await ApiErrors.Unauthorized(admin is { Length: > 0 }
                    ? "The Orleans dashboard needs the admin key (Authorization: Bearer <admin key>, or Basic with the key as password)."
                    : "The Orleans dashboard is disabled: set TRACEREPLAY_ADMIN_KEY on the server.")
                .ExecuteAsync(context);
        });
        if (PostgresSettings.ConnectionString(app.Configuration) is not null)
        {
            app.MapOrleansDashboard(DashboardPath);
        }

        return app;
    }

    private static bool IsAdmin(HttpContext context)
    {
        if (context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.AdminKey is not { Length: > 0 } admin)
        {
            return false;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AdminKeyFilter.Matches(header["Bearer ".Length..].Trim(), admin);
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            var credentials = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            return credentials.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 && AdminKeyFilter.Matches(credentials[(colon + 1)..], admin);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
