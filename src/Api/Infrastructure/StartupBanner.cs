using Microsoft.Extensions.Options;
using TraceReplay.Silo.Telemetry;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// The last lines the all-in-one host prints: where it runs, the dashboard, the API key and where the key came from.
/// Printed when the host has started and again when the demo is ready, so later start-up logs do not bury them. To
/// the console only, never to a log sink. The periodic console summary waits for <see cref="Opened"/>: the host has
/// started and no start-up work that prints the banner again (<see cref="Expect"/>) is left.
/// </summary>
public sealed class StartupBanner(IOptions<ApiOptions> options) : IConsoleSummaryGate
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string[] _addresses = [];
    private bool _started;
    private int _expected;

    public Task Opened => _done.Task;

    /// <summary>Start-up work that will print the banner again; dispose the answer when it has (or gave up).</summary>
    public IDisposable Expect()
    {
        lock (_lock)
        {
            _expected++;
        }

        return new Expectation(this);
    }

    /// <summary>The banner once the host has started (listening on <paramref name="addresses"/>).</summary>
    public void PrintStarted(string[] addresses)
    {
        Print(addresses);
        lock (_lock)
        {
            _started = true;
            OpenIfDone();
        }
    }

    private void OpenIfDone()
    {
        if (_started && _expected == 0)
        {
            _done.TrySetResult();
        }
    }

    public void Print(string[]? addresses = null, string? headline = null)
    {
        lock (_lock)
        {
            _addresses = addresses ?? _addresses;
            var api = options.Value;
            var url = _addresses.FirstOrDefault() ?? "(no HTTP address yet)";
            Console.WriteLine();
            if (headline is not null)
            {
                Console.WriteLine(headline);
            }

            Console.WriteLine($"TraceReplay is running at {string.Join(", ", _addresses)}");
            Console.WriteLine($"Dashboard: {url.TrimEnd('/')}/ (sign in with the API key)");
            Console.WriteLine($"API key (Authorization: Bearer ...): {api.ApiKey}");
            Console.WriteLine($"Key from: {api.ApiKeySource}");
        }
    }

    private sealed class Expectation(StartupBanner banner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (banner._lock)
                {
                    banner._expected--;
                    banner.OpenIfDone();
                }
            }
        }
    }
}
