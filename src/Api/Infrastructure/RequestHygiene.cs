using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// What every request goes through before its endpoint: security headers on every answer (a script-only-from-self
/// content security policy for the dashboard), a 400 for a path with control or line-separator characters, and one
/// log line per request whose path is escaped and whose query has its keys redacted. ASP.NET Core's own request lines
/// (Microsoft.AspNetCore.Hosting.Diagnostics) are turned down to warnings: they print the raw URL, query included.
/// </summary>
public static partial class RequestHygiene
{
    /// <summary>The dashboard's policy: scripts, styles and data only from this origin, no inline script, never framed.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Query parameters whose values never reach a log.</summary>
    private static readonly HashSet<string> SecretParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "api_key", "apikey", "api-key", "key", "access_token", "token", "authorization",
    };

    public static WebApplicationBuilder AddTraceReplayRequestHygiene(this WebApplicationBuilder builder)
    {
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        return builder;
    }

    public static WebApplication UseTraceReplayRequestHygiene(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TraceReplay.Api.Requests");
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            var request = context.Request;
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // The Orleans dashboard and the API reference page bring their own inline script; everything else is ours.
                if (!request.Path.StartsWithSegments(ApiClusterHosting.DashboardPath) && !request.Path.StartsWithSegments("/" + ApiDocumentation.ReferencePath))
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                    headers.XFrameOptions = "DENY";
                }

                return Task.CompletedTask;
            });

            if (HasControlCharacters(request.Path.Value))
            {
                await ApiErrors.Validation("The request path must not contain control or line-separator characters.").ExecuteAsync(context);
            }
            else
            {
                await next(context);
            }

            if (logger.IsEnabled(LogLevel.Information))
            {
                LogRequest(logger, request.Method, SafeUrl(request.Path.Value, request.QueryString.Value), context.Response.StatusCode,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
        return app;
    }

    /// <summary>Whether <paramref name="text"/> holds a control character (C0, C1) or a line or paragraph separator.</summary>
    public static bool HasControlCharacters(string? text) =>
        text is not null && text.Any(c => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);

    /// <summary>
    /// The path and query as a log may show them: control and separator characters escaped as \uXXXX, and the values
    /// of key-like query parameters (api_key, key, access_token …) replaced by "REDACTED".
    /// </summary>
    public static string SafeUrl(string? path, string? query)
    {
        var text = new StringBuilder();
        Escape(text, path ?? "");
        if (query is { Length: > 1 })
        {
            text.Append('?');
            var first = true;
            foreach (var part in query.TrimStart('?').Split('&'))
            {
                text.Append(first ? "" : "&");
                first = false;
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? part : part[..equals];
                if (equals >= 0 && SecretParameters.Contains(Uri.UnescapeDataString(name.Replace('+', ' '))))
                {
                    Escape(text, name);
                    text.Append("=REDACTED");
                }
                else
                {
                    Escape(text, part);
                }
            }
        }

        return text.ToString();
    }

    private static void Escape(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            if (HasControlCharacters(c.ToString()))
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                text.Append(c);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Url} answered {Status} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string url, int status, double elapsedMs);
}
