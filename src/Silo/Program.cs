using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TraceReplay.Silo.Postgres;
using TraceReplay.Silo.Telemetry;

namespace TraceReplay.Silo;

/// <summary>
/// A standalone silo: <c>dotnet run --project src/Silo</c>. With <c>migrate</c> as its first argument it applies the
/// PostgreSQL schema and exits: 0 when the schema is current, 1 with the reason otherwise.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["migrate", ..])
        {
            return await MigrateAsync(args[1..]);
        }

        var builder = Host.CreateApplicationBuilder(args);
        builder.AddTraceReplayTelemetry("tracereplay-silo");
        builder.UseOrleans(silo => silo.AddTraceReplay().UseTraceReplayClustering(builder.Configuration));
        await builder.Build().RunAsync();
        return 0;
    }

    private static async Task<int> MigrateAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        if (PostgresSettings.ConnectionString(builder.Configuration) is not { } connectionString)
        {
            await Console.Error.WriteLineAsync(
                $"migrate: no PostgreSQL configured; set ConnectionStrings:Postgres or {PostgresSettings.EnvironmentVariable}.");
            return 1;
        }

        using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
        try
        {
            var applied = await new SchemaMigrator(connectionString, loggers.CreateLogger<SchemaMigrator>()).MigrateAsync();
            Console.WriteLine(applied.Count == 0
                ? $"migrate: schema is current ({SchemaMigrator.Migrations.Count} migrations)."
                : $"migrate: applied {string.Join(", ", applied)}; schema is current.");
            return 0;
        }
        catch (Exception ex)
        {
            // The connection string may carry a password: report the failure, never the configuration.
            await Console.Error.WriteLineAsync($"migrate: failed: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }
    }
}
