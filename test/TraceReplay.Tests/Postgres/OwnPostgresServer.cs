using System.Diagnostics;
using Npgsql;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// A throwaway PostgreSQL server of one test's own, started, stopped and started again with scripts/postgres.sh
/// (pg_ctl, as the postgres user under root), so the test can restart the database without touching the server the
/// rest of the suite shares. PostgreSQL's default durability and connection limit, like the shared one.
/// </summary>
public sealed class OwnPostgresServer : IAsyncDisposable
{
    private OwnPostgresServer(string dir, string server)
    {
        Dir = dir;
        Server = server;
        Port = new NpgsqlConnectionStringBuilder(server).Port;
    }

    /// <summary>The server's directory (data, socket and log).</summary>
    public string Dir { get; }

    /// <summary>A connection string to its <c>tracereplay_test</c> database.</summary>
    public string Server { get; }

    public int Port { get; }

    /// <summary>
    /// A new server; null where the suite's PostgreSQL is not configured outside CI (the PostgreSQL tests' rule: under
    /// CI=true it must be there, and then the binaries are too).
    /// </summary>
    public static async Task<OwnPostgresServer?> StartAsync()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TestPostgres.Variable)))
        {
            await TestPostgres.CreateDatabaseAsync();   // fails under CI
            return null;
        }

        var output = await ScriptAsync(
            "unset TRACEREPLAY_TEST_POSTGRES; tracereplay_postgres_start >&2 && echo \"$TRACEREPLAY_PG_DIR\" && echo \"$TRACEREPLAY_TEST_POSTGRES\"");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new OwnPostgresServer(lines[^2], lines[^1]);
    }

    /// <summary>Stops the server (fast shutdown: every connection is closed); returns once it is down.</summary>
    public Task StopAsync() => ScriptAsync($"tracereplay_postgres_ctl '{Dir}' stop");

    /// <summary>Starts the server again on its port; returns once it accepts connections.</summary>
    public Task StartAgainAsync() => ScriptAsync($"tracereplay_postgres_ctl '{Dir}' start {Port}");

    public async ValueTask DisposeAsync() => await ScriptAsync($"tracereplay_postgres_ctl '{Dir}' remove");

    private static async Task<string> ScriptAsync(string command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"source '{Path.Combine(RepositoryRoot(), "scripts", "postgres.sh")}' && {command}");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"scripts/postgres.sh: '{command}' exited {process.ExitCode}:\n{await stderr}");
        return await stdout;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TraceReplay.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }
}
