using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TraceReplay.Api.Infrastructure;

/// <summary>Reads a JSON request body within the size limit, turning every failure into the documented error.</summary>
public static class RequestBody
{
    /// <summary>The parsed body (null for an empty body), or the error to answer with.</summary>
    public static async Task<(JsonDocument? Document, JsonHttpResult<ApiErrorBody>? Error)> ReadJsonAsync(
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

        if (buffer.Length == 0)
        {
            return (null, null);
        }

        try
        {
            return (JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 64 }), null);
        }
        catch (JsonException ex)
        {
            return (null, ApiErrors.Validation($"Malformed JSON body: {ex.Message}"));
        }
    }

    private static JsonHttpResult<ApiErrorBody> TooLarge(long maxBytes) =>
        ApiErrors.PayloadTooLarge($"The request body exceeds the limit of {maxBytes} bytes.");
}
