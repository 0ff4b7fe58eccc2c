using System.Diagnostics;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// A <c>src/Silo</c> process (the built TraceReplay.Silo.dll run with <c>dotnet</c>), or with <see cref="StartApi"/> a
/// <c>src/Api</c> process; its output kept for diagnosis.
/// </summary>
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

    /// <summary>Every line printed so far (stdout and stderr), in order.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    public static SiloProcess Start(IDictionary<string, string?> settings) => Start(BuiltDll("Silo", "TraceReplay.Silo.dll"), settings);

    /// <summary>An API process (TraceReplay.Api.dll); pass <c>urls</c> and the role in <paramref name="settings"/>.</summary>
    public static SiloProcess StartApi(IDictionary<string, string?> settings) => Start(BuiltDll("Api", "TraceReplay.Api.dll"), settings);

    private static SiloProcess Start(string dll, IDictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
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

    /// <summary>SIGTERM: the host's graceful shutdown.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed.");
        }
    }

    /// <summary>True when the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

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

    /// <summary>A src project's build output of the same configuration as this test assembly.</summary>
    private static string BuiltDll(string project, string file)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TraceReplay.sln")))
        {
            dir = dir.Parent;
        }

        var dll = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Repository root not found."),
            "src", project, "bin", configuration, "net10.0", file);
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build src/{project} first.", dll);
    }
}
