using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using TraceReplay.Api.Otlp.Proto;

namespace TraceReplay.Api.Otlp;

/// <summary>The body encodings OTLP/HTTP defines for traces.</summary>
public enum OtlpFormat
{
    Json = 0,
    Protobuf = 1,
}

/// <summary>
/// Decodes an OTLP/HTTP trace export body: gzip (Content-Encoding), then binary protobuf or OTLP/JSON. OTLP/JSON is
/// protobuf's JSON mapping except that trace and span ids are hex, not base64; they are rewritten before parsing.
/// </summary>
public static class OtlpDecoder
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The format a Content-Type names, or null when it is neither OTLP encoding.</summary>
    public static OtlpFormat? FormatOf(string? contentType)
    {
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            "application/json" => OtlpFormat.Json,
            "application/x-protobuf" or "application/protobuf" => OtlpFormat.Protobuf,
            _ => null,
        };
    }

    /// <summary>Inflates a gzip body within <paramref name="maxBytes"/>; null when it exceeds the limit.</summary>
    public static byte[]? Gunzip(byte[] body, long maxBytes)
    {
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = gzip.Read(buffer)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                return null;
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    public static (ExportTraceServiceRequest? Request, string? Error) Decode(byte[] body, OtlpFormat format) =>
        format == OtlpFormat.Protobuf ? DecodeProtobuf(body, ExportTraceServiceRequest.Parser) : DecodeJson<ExportTraceServiceRequest>(body, TraceIdPaths);

    /// <summary>An ExportLogsServiceRequest: the same encodings, hex trace and span ids on each log record in JSON.</summary>
    public static (ExportLogsServiceRequest? Request, string? Error) DecodeLogs(byte[] body, OtlpFormat format) =>
        format == OtlpFormat.Protobuf ? DecodeProtobuf(body, ExportLogsServiceRequest.Parser) : DecodeJson<ExportLogsServiceRequest>(body, LogIdPaths);

    private static (T?, string?) DecodeProtobuf<T>(byte[] body, MessageParser<T> parser) where T : class, IMessage<T>
    {
        try
        {
            return (parser.ParseFrom(body), null);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return (default, $"The body is not a protobuf {typeof(T).Name}: {ex.Message}");
        }
    }

    private static (T?, string?) DecodeJson<T>(byte[] body, Func<JsonObject, string?> rewriteIds) where T : class, IMessage<T>, new()
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException ex)
        {
            return (default, $"Malformed JSON body: {ex.Message}");
        }

        if (root is not JsonObject request)
        {
            var shape = typeof(T) == typeof(ExportLogsServiceRequest) ? "{\"resourceLogs\": [...]}" : "{\"resourceSpans\": [...]}";
            return (default, $"The body must be an OTLP {typeof(T).Name} object: {shape}.");
        }

        var idError = rewriteIds(request);
        if (idError is not null)
        {
            return (default, idError);
        }

        try
        {
            return (Parser.Parse<T>(request.ToJsonString()), null);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            return (default, $"The body is not an OTLP/JSON {typeof(T).Name}: {ex.Message}");
        }
    }

    /// <summary>Hex ids on log records (resourceLogs[].scopeLogs[].logRecords[]) to base64.</summary>
    private static string? LogIdPaths(JsonObject request)
    {
        if (request["resourceLogs"] is not JsonArray resourceLogs)
        {
            return null;
        }

        for (var r = 0; r < resourceLogs.Count; r++)
        {
            if (resourceLogs[r]?["scopeLogs"] is not JsonArray scopeLogs)
            {
                continue;
            }

            for (var s = 0; s < scopeLogs.Count; s++)
            {
                if (scopeLogs[s]?["logRecords"] is not JsonArray records)
                {
                    continue;
                }

                for (var i = 0; i < records.Count; i++)
                {
                    var at = $"resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]";
                    if (records[i] is JsonObject record && (RewriteId(record, "traceId", at) ?? RewriteId(record, "spanId", at)) is { } error)
                    {
                        return error;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Hex ids to the base64 protobuf's JSON mapping expects; an id that is not hex is an error naming it.</summary>
    private static string? TraceIdPaths(JsonObject request)
    {
        if (request["resourceSpans"] is not JsonArray resourceSpans)
        {
            return null;
        }

        for (var r = 0; r < resourceSpans.Count; r++)
        {
            if (resourceSpans[r]?["scopeSpans"] is not JsonArray scopeSpans)
            {
                continue;
            }

            for (var s = 0; s < scopeSpans.Count; s++)
            {
                if (scopeSpans[s]?["spans"] is not JsonArray spans)
                {
                    continue;
                }

                for (var i = 0; i < spans.Count; i++)
                {
                    var at = $"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]";
                    if (spans[i] is not JsonObject span)
                    {
                        continue;
                    }

                    var error = RewriteId(span, "traceId", at) ?? RewriteId(span, "spanId", at) ?? RewriteId(span, "parentSpanId", at);
                    if (error is not null)
                    {
                        return error;
                    }

                    if (span["links"] is JsonArray links)
                    {
                        for (var l = 0; l < links.Count; l++)
                        {
                            if (links[l] is JsonObject link
                                && (RewriteId(link, "traceId", $"{at}.links[{l}]") ?? RewriteId(link, "spanId", $"{at}.links[{l}]")) is { } linkError)
                            {
                                return linkError;
                            }
                        }
                    }
                }
            }
        }

        return null;
    }

    private static string? RewriteId(JsonObject owner, string name, string at)
    {
        if (owner[name] is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var hex = value.GetValue<string>();
        try
        {
            owner[name] = Convert.ToBase64String(Convert.FromHexString(hex));
            return null;
        }
        catch (FormatException)
        {
            return $"{at}.{name} must be a hex string; got '{Truncate(hex)}'.";
        }
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
