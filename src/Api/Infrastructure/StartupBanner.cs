using Microsoft.Extensions.Options;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// The last lines the all-in-one host prints: where it runs, the dashboard, the API key and where the key came from.
/// Printed when the host has started and again when the demo is ready, so later start-up logs do not bury them. To
/// the console only, never to a log sink.
/// </summary>
public sealed class StartupBanner(IOptions<ApiOptions> options)
{
    private readonly Lock _lock = new();
    private string[] _addresses = [];

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
}
