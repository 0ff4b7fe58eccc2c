using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// <c>/health/live</c> answers 200 while the process runs; <c>/health/ready</c> answers 200 only when PostgreSQL (when
/// configured) answers and the cluster has an active silo, else 503. Both are unauthenticated and answer JSON.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Served from the first moment the web server listens (<see cref="StartupGate"/>).</summary>
    public const string PathPrefix = "/health";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    private const string ReadyTag = "ready";

    /// <summary>How long one check may take before it counts as failed.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddTraceReplayHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [ReadyTag], timeout: CheckTimeout)
            .AddCheck<ClusterHealthCheck>("cluster", tags: [ReadyTag], timeout: CheckTimeout);
        return services;
    }

    public static WebApplication MapTraceReplayHealth(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).ExcludeFromDescription();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .ExcludeFromDescription();
        return app;
    }

    /// <summary><c>{"status": "Healthy", "checks": {"postgres": {"status", "description"}, ...}}</c>.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}

/// <summary>PostgreSQL answers <c>SELECT 1</c>; healthy without a query when the service runs in memory.</summary>
public sealed class PostgresHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The process's data source (its connection budget), registered only when PostgreSQL is configured.
        if (services.GetService<NpgsqlDataSource>() is not { } dataSource)
        {
            return HealthCheckResult.Healthy("not used: storage is in memory");
        }

        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("reachable");
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or OperationCanceledException or TimeoutException)
        {
            // The connection string may hold a password: describe the failure by its kind, never the configuration.
            return HealthCheckResult.Unhealthy($"unreachable ({ex.GetType().Name})");
        }
    }
}

/// <summary>The cluster has at least one active silo, as seen through the API's grain client (co-hosted silo or gateway).</summary>
public sealed class ClusterHealthCheck(IClusterClient cluster, IHostApplicationLifetime lifetime) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("starting: not connected to the cluster yet");
        }

        try
        {
            var hosts = await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s)")
                : HealthCheckResult.Unhealthy("no active silo");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return HealthCheckResult.Unhealthy($"the cluster did not answer ({ex.GetType().Name})");
        }
    }
}
