using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TraceReplay.LoadDriver;

/// <summary>
/// TraceReplay as it runs in production, from the Release build outputs: the all-in-one API (in-memory storage, one
/// co-hosted silo), or on PostgreSQL N src/Silo processes with the API in the Client role. Every process stays on loopback.
/// </summary>
public sealed class SystemUnderTest : IAsyncDisposable
{
    public const string ApiKey = "bench";
    private readonly List<Process> _silos = [];
    private Process? _api;

    private SystemUnderTest(string apiUrl) => ApiUrl = apiUrl;

    public string ApiUrl { get; }

    /// <summary>The processes that host grains: the silos, or the all-in-one API.</summary>
    public IReadOnlyList<Process> SiloProcesses => _silos.Count > 0 ? _silos : [_api!];

    public static async Task<SystemUnderTest> StartAsync(string root, string? postgres, int silos, string llmBaseUrl, IDictionary<string, string> extra)
    {
        var common = new Dictionary<string, string>(extra)
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["TraceReplay__Llm__Providers__bench__BaseUrl"] = llmBaseUrl,
            ["TraceReplay__Llm__Providers__bench__ApiKey"] = "sk-bench-0123456789",
            ["TraceReplay__Llm__Providers__bench__Models__0"] = Workload.Model,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        var sut = new SystemUnderTest($"http://127.0.0.1:{FreePort()}");
        var api = new Dictionary<string, string>(common)
        {
            ["TRACEREPLAY_API_KEY"] = ApiKey,
            ["TraceReplay__Api__SeedDemoData"] = "false",
        };
        if (postgres is not null)
        {
            var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
            common["ConnectionStrings__Postgres"] = postgres;
            common["Orleans__ClusterId"] = common["Orleans__ServiceId"] = clusterId;
            for (var i = 0; i < silos; i++)
            {
                var gateway = FreePort();
                var silo = new Dictionary<string, string>(common)
                {
                    ["Orleans__Endpoints__SiloPort"] = FreePort().ToString(),
                    ["Orleans__Endpoints__GatewayPort"] = gateway.ToString(),
                };
                sut._silos.Add(Start(Path.Combine(root, "src/Silo/bin/Release/net10.0/TraceReplay.Silo.dll"), silo, []));
                await WaitForPortAsync(gateway, sut._silos[^1]);
            }

            api["ConnectionStrings__Postgres"] = postgres;
            api["Orleans__ClusterId"] = api["Orleans__ServiceId"] = clusterId;
            api["TraceReplay__Role"] = "Client";
        }
        else
        {
            foreach (var (key, value) in common)
            {
                api.TryAdd(key, value);
            }

            api["Orleans__Endpoints__SiloPort"] = FreePort().ToString();
            api["Orleans__Endpoints__GatewayPort"] = FreePort().ToString();
        }

        sut._api = Start(Path.Combine(root, "src/Api/bin/Release/net10.0/TraceReplay.Api.dll"), api, ["--urls", sut.ApiUrl]);
        return sut;
    }

    /// <summary>Peak resident memory (VmHWM) of a process so far, in MiB.</summary>
    public static double PeakMemoryMiB(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _silos.Prepend(_api).OfType<Process>())
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }

    private static Process Start(string dll, IDictionary<string, string> environment, string[] args)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build it first (scripts/benchmark.sh does): dotnet build -c Release", dll);
        }

        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("TRACEREPLAY_POSTGRES");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += Echo();
        process.ErrorDataReceived += Echo();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Warnings and errors of the system go to the driver's stderr with their message (the console logger's next line,
    /// e.g. which grain a long turn was in); the banner (it shows the key) does not. One per stream: a stream's lines
    /// arrive one after another.
    /// </summary>
    private static DataReceivedEventHandler Echo()
    {
        var messageFollows = false;
        return (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            if (line.StartsWith("warn", StringComparison.Ordinal) || line.StartsWith("fail", StringComparison.Ordinal) || line.StartsWith("crit", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"  [system] {line}");
                messageFollows = true;
            }
            else if (messageFollows)
            {
                Console.Error.WriteLine($"  [system]   {line.Trim()}");
                messageFollows = false;
            }
        };
    }

    private static async Task WaitForPortAsync(int port, Process process)
    {
        for (var i = 0; i < 600; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"A silo exited during start-up (code {process.ExitCode}).");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"No silo gateway on port {port} after 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
