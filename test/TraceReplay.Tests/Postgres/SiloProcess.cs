using System.Diagnostics;

namespace TraceReplay.Tests.Postgres;

/// <summary>A <c>src/Silo</c> process (the built TraceReplay.Silo.dll run with <c>dotnet</c>), its output kept for diagnosis.</summary>
public sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private SiloProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(40));
            }
        }
    }

    public static SiloProcess Start(IDictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SiloDll());
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment.Remove("TRACEREPLAY_POSTGRES");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return new SiloProcess(Process.Start(start)!);
    }

    /// <summary>SIGKILL: the silo gets no chance to leave the cluster or finish anything.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }

    /// <summary>src/Silo's build output of the same configuration as this test assembly.</summary>
    private static string SiloDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TraceReplay.sln")))
        {
            dir = dir.Parent;
        }

        var dll = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Repository root not found."),
            "src", "Silo", "bin", configuration, "net10.0", "TraceReplay.Silo.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Silo first.", dll);
    }
}
