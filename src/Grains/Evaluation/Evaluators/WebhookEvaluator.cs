using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>
/// WEBHOOK: POSTs {traceId, spanId, input, output, metadata, expectedOutput} to config.url and reads
/// {score 0–1, pass?, reason?} back (label / reasoning are accepted too). Retries 5xx, timeouts and network errors
/// config.retries times (0–5, default 1); each attempt gets config.timeoutMs (1000–30000, default 10000).
/// config.headers are sent with each call; they are stored, but redacted whenever the evaluator is read back.
/// The URL must pass <see cref="WebhookUrlGuard"/> (no private networks, https in production).
/// </summary>
public sealed class WebhookEvaluator(IHttpClientFactory clients, WebhookUrlGuard guard) : Evaluator<WebhookEvaluator.Settings>, IEvaluator
{
    public bool CpuBound => false;

    public const string HttpClientName = "evaluator-webhook";

    /// <summary>The most bytes of a webhook's answer that are read; a larger answer is the evaluator's error.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    public sealed record Settings(Uri Url, IReadOnlyDictionary<string, string> Headers, TimeSpan Timeout, int Retries);

    public override string Type => "WEBHOOK";

    protected override Settings Parse(ConfigReader config)
    {
        var url = config.String("url", required: true, maxLength: 2000)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new ConfigException("config.url must be an absolute http or https URL.");
        }

        if (guard.CheckUrl(uri) is { } refused)
        {
            throw new ConfigException(refused);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (config.Object("headers") is { } map)
        {
            foreach (var header in map.EnumerateObject())
            {
                if (header.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ConfigException($"config.headers.{header.Name} must be a string.");
                }

                headers[header.Name] = header.Value.GetString()!;
            }
        }

        var timeout = config.Integer("timeoutMs", 1000, 30000) ?? 10000;
        return new Settings(uri, headers, TimeSpan.FromMilliseconds(timeout), config.Integer("retries", 0, 5) ?? 1);
    }

    protected override async Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var payload = new JsonObject
        {
            ["traceId"] = input.TraceId,
            ["spanId"] = input.SpanId,
            ["input"] = input.Input,
            ["output"] = input.Output,
            ["metadata"] = input.Trace.MetadataJson is { } metadata ? JsonNode.Parse(metadata) : null,
            ["expectedOutput"] = input.ExpectedOutput,
        };
        var client = clients.CreateClient(HttpClientName);
        string? failure = null;
        for (var attempt = 0; attempt <= s.Retries; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s.Timeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, s.Url) { Content = JsonContent.Create(payload) };
                foreach (var (name, value) in s.Headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (await ReadBoundedAsync(response.Content, timeout.Token) is not { } body)
                {
                    return EvaluationOutcome.Failed($"the webhook's answer is larger than {MaxResponseBytes / 1024} KiB.");
                }

                if ((int)response.StatusCode >= 500)
                {
                    failure = $"the webhook answered {(int)response.StatusCode}";
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    return EvaluationOutcome.Failed($"the webhook answered {(int)response.StatusCode}.");
                }

                return Read(body);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"the webhook did not answer within {s.Timeout.TotalMilliseconds:0} ms";
            }
            catch (HttpRequestException ex)
            {
                failure = $"the webhook could not be reached: {ex.Message}";
            }
        }

        return EvaluationOutcome.Failed($"{failure} (after {s.Retries + 1} attempt{(s.Retries == 0 ? "" : "s")}).");
    }

    /// <summary>The answer as text, or null when it is longer than <see cref="MaxResponseBytes"/> (nothing more is read).</summary>
    private static async Task<string?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxResponseBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        return length > MaxResponseBytes ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>score is required and in [0, 1]; pass (or label) and reason (or reasoning) are optional.</summary>
    internal static EvaluationOutcome Read(string body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return EvaluationOutcome.Failed("the webhook's answer is not JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("score", out var scoreElement)
                || scoreElement.ValueKind != JsonValueKind.Number || scoreElement.GetDouble() is < 0 or > 1)
            {
                return EvaluationOutcome.Failed("the webhook's answer needs \"score\": a number from 0 to 1.");
            }

            bool? passed = root.TryGetProperty("pass", out var pass) && pass.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? pass.GetBoolean()
                : root.TryGetProperty("label", out var label) && label.ValueKind == JsonValueKind.String
                    ? label.GetString()!.Equals("pass", StringComparison.OrdinalIgnoreCase) ? true
                    : label.GetString()!.Equals("fail", StringComparison.OrdinalIgnoreCase) ? false : null
                    : null;
            var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()
                : root.TryGetProperty("reasoning", out var r2) && r2.ValueKind == JsonValueKind.String ? r2.GetString() : null;
            return new EvaluationOutcome(scoreElement.GetDouble(), passed, reason, null);
        }
    }
}
