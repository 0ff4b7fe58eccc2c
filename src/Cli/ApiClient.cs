using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace TraceReplay.Cli;

/// <summary>An error the API answered (its code and message) or a failure to reach it.</summary>
public sealed class ApiCallException(string message) : Exception(message);

/// <summary>The TraceReplay REST API as the CLI uses it: JSON in, the <c>data</c> envelope out, errors as exceptions.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(ApiSettings settings, CliEnvironment environment)
    {
        var url = settings.ApiUrl ?? environment.Variable(CliEnvironment.UrlVariable) ?? CliEnvironment.DefaultUrl;
        var key = settings.ApiKey ?? environment.Variable(CliEnvironment.KeyVariable);
        _http = environment.Handler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        _http.BaseAddress = new Uri(url.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(key))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }

    public Task<JsonNode> GetAsync(string path, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<JsonNode> PostAsync(string path, JsonNode? body, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        }, cancellationToken);

    /// <summary>The raw body of a successful GET (CSV, JSON).</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await CallAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonNode> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(request, cancellationToken);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json?["data"] ?? throw new ApiCallException($"{request.Method} {request.RequestUri} answered without data.");
    }

    private async Task<HttpResponseMessage> CallAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new ApiCallException($"Cannot reach the API at {_http.BaseAddress}: {ex.Message}");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            string? code = null, message = null;
            try
            {
                var error = JsonNode.Parse(text)?["error"];
                (code, message) = ((string?)error?["code"], (string?)error?["message"]);
            }
            catch (System.Text.Json.JsonException)
            {
                // Not our error shape (a proxy, say): report the status alone.
            }

            throw new ApiCallException($"{(int)response.StatusCode} {code ?? response.ReasonPhrase}: {message ?? text}");
        }
    }
}
