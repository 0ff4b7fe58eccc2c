using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TraceReplay.Api.Infrastructure;

/// <summary>Reads a raw request body (OTLP) within the size limit, and the checks a JSON body must pass, each failure as the documented error.</summary>
public static class RequestBody
{
    /// <summary>The raw body, refused with 413 as soon as it passes <paramref name="maxBytes"/>.</summary>
    public static async Task<(byte[]? Bytes, JsonHttpResult<ApiErrorBody>? Error)> ReadBytesAsync(
        HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        using var buffer = new MemoryStream();
        try
        {
            var chunk = new byte[81920];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }

        return (buffer.ToArray(), null);
    }

    /// <summary>Null when <paramref name="body"/> is JSON that every handler can read; else the error to answer with.</summary>
    public static JsonHttpResult<ApiErrorBody>? Validate(byte[] body)
    {
        var (document, error) = Parse(body);
        document?.Dispose();
        return error;
    }

    private static (JsonDocument? Document, JsonHttpResult<ApiErrorBody>? Error) Parse(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            return (null, ApiErrors.Validation($"Malformed JSON body: {ex.Message}"));
        }

        if (FindUnreadableString(document.RootElement) is { } where)
        {
            document.Dispose();
            return (null, ApiErrors.Validation($"The body has a string that is not valid Unicode (a lone surrogate escape) at {where}."));
        }

        return (document, null);
    }

    /// <summary>How deeply JSON may nest; deeper bodies are refused as malformed.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// The path of the first string or property name that cannot be read as .NET text (an escaped lone surrogate such
    /// as <c>"\ud800"</c> parses but throws when read), so handlers never meet one; null when all are readable.
    /// </summary>
    internal static string? FindUnreadableString(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(() => element.GetString()) ? null : path;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindUnreadableString(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!Readable(() => property.Name))
                    {
                        return $"{path} (a property name)";
                    }

                    if (FindUnreadableString(property.Value, $"{path}.{property.Name}") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool Readable(Func<string?> read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static JsonHttpResult<ApiErrorBody> TooLarge(long maxBytes) =>
        ApiErrors.PayloadTooLarge($"The request body exceeds the limit of {maxBytes} bytes.");
}
