using Google.Protobuf;
using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Api.Ingestion;
using TraceReplay.Api.Otlp;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Grains;

namespace TraceReplay.Api.Apis;

/// <summary>
/// OpenTelemetry trace ingestion over OTLP/HTTP: 2Signal's <c>/api/v1/otel/traces</c> and the standard
/// <c>/v1/traces</c>, so <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> can point at the service. Protobuf or JSON, gzip or not;
/// the answer is an ExportTraceServiceResponse in the request's encoding, with partial_success for rejected spans.
/// Logs likewise (<c>/api/v1/otel/logs</c>, <c>/v1/logs</c>): GenAI event records carry message content for their spans.
/// </summary>
public static class OtlpApi
{
    public static IEndpointRouteBuilder MapOtlpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/otel/traces", ExportTraces).WithName("ExportOtelTraces").WithTags("OpenTelemetry")
            .WithSummary("Ingest OTLP/HTTP trace exports (application/x-protobuf or application/json, gzip accepted)")
            .DescribeOtlpExport();
        app.MapPost("/v1/traces", ExportTraces).WithName("ExportOtlpTraces").WithTags("OpenTelemetry")
            .WithSummary("The standard OTLP/HTTP traces path; same as /api/v1/otel/traces").DescribeOtlpExport();
        app.MapPost("/api/v1/otel/logs", ExportLogs).WithName("ExportOtelLogs").WithTags("OpenTelemetry")
            .WithSummary("Ingest OTLP/HTTP log exports: GenAI event records attach their messages to their span; other records are ignored")
            .DescribeOtlpExport();
        app.MapPost("/v1/logs", ExportLogs).WithName("ExportOtlpLogs").WithTags("OpenTelemetry")
            .WithSummary("The standard OTLP/HTTP logs path; same as /api/v1/otel/logs").DescribeOtlpExport();
        return app;
    }

    /// <summary>An ExportTraceServiceRequest in, an ExportTraceServiceResponse out, both protobuf or JSON.</summary>
    private static RouteHandlerBuilder DescribeOtlpExport(this RouteHandlerBuilder endpoint) => endpoint
        .DocumentsRawBody("application/x-protobuf", "application/json")
        .Produces<byte[]>(StatusCodes.Status200OK, "application/x-protobuf", "application/json")
        .ProducesErrors(400, 413, 415);

    public static async Task<Results<FileContentHttpResult, JsonHttpResult<ApiErrorBody>>> ExportTraces(
        HttpRequest request, [AsParameters] TraceServices services, BatchIngestor ingestor, CancellationToken cancellationToken)
    {
        var (format, body, error) = await ReadExportAsync(request, services, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (decoded, decodeError) = OtlpDecoder.Decode(body!, format);
        if (decodeError is not null)
        {
            return ApiErrors.Validation(decodeError);
        }

        var batch = OtlpTraceMapper.Map(decoded!, services.Time.GetUtcNow());
        if (await ingestor.IngestAsync(batch.Traces, services.Trace) is { } refused)
        {
            return ApiErrors.From(refused);
        }

        var response = new ExportTraceServiceResponse();
        if (batch.Rejected > 0)
        {
            response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = batch.Rejected, ErrorMessage = batch.RejectionMessage };
        }

        return format == OtlpFormat.Protobuf
            ? TypedResults.Bytes(response.ToByteArray(), "application/x-protobuf")
            : TypedResults.Bytes(System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(response)), "application/json");
    }

    /// <summary>
    /// An ExportLogsServiceRequest in, an ExportLogsServiceResponse out. GenAI event records go to their trace, which
    /// attaches them to their span now or when it arrives; a refused trace (its span limit) refuses the request.
    /// </summary>
    public static async Task<Results<FileContentHttpResult, JsonHttpResult<ApiErrorBody>>> ExportLogs(
        HttpRequest request, [AsParameters] TraceServices services, BatchIngestor ingestor, CancellationToken cancellationToken)
    {
        var (format, body, error) = await ReadExportAsync(request, services, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (decoded, decodeError) = OtlpDecoder.DecodeLogs(body!, format);
        if (decodeError is not null)
        {
            return ApiErrors.Validation(decodeError);
        }

        var batch = OtlpLogMapper.Map(decoded!, services.Time.GetUtcNow());
        var traces = batch.Traces.ToDictionary(t => t.Key, t => new TraceIngest(null, [], t.Value));
        if (await ingestor.IngestAsync(traces, services.Trace) is { } refused)
        {
            return ApiErrors.From(refused);
        }

        TraceReplay.Grains.Telemetry.TraceReplayMetrics.LogRecordsReceived(batch.Attached, batch.Ignored, batch.Rejected);
        var response = new ExportLogsServiceResponse();
        if (batch.Rejected > 0)
        {
            response.PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = batch.Rejected, ErrorMessage = batch.RejectionMessage };
        }

        return format == OtlpFormat.Protobuf
            ? TypedResults.Bytes(response.ToByteArray(), "application/x-protobuf")
            : TypedResults.Bytes(System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(response)), "application/json");
    }

    /// <summary>The export's encoding and body (size-limited, inflated, and for JSON checked), or the error to answer.</summary>
    private static async Task<(OtlpFormat Format, byte[]? Body, JsonHttpResult<ApiErrorBody>? Error)> ReadExportAsync(
        HttpRequest request, TraceServices services, CancellationToken cancellationToken)
    {
        if (OtlpDecoder.FormatOf(request.ContentType) is not { } format)
        {
            return (default, null, ApiErrors.Create(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
                $"Content-Type must be application/x-protobuf or application/json; got '{request.ContentType}'."));
        }

        var (body, error) = await ReadBodyAsync(request, services.Options.MaxRequestBodyBytes, cancellationToken);
        if (error is not null)
        {
            return (format, null, error);
        }

        // The protobuf JSON parser skips unknown fields unread; refuse what no JSON reader should take (deep, not UTF-8, lone surrogates) first.
        if (format == OtlpFormat.Json && RequestBody.Validate(body!) is { } invalid)
        {
            return (format, null, invalid);
        }

        return (format, body, null);
    }

    /// <summary>The body within the size limit, inflated when gzip-encoded; the limit applies to both sizes.</summary>
    private static async Task<(byte[]? Body, JsonHttpResult<ApiErrorBody>? Error)> ReadBodyAsync(
        HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        if (encoding is not ("" or "identity" or "gzip"))
        {
            return (null, ApiErrors.Create(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
                $"Content-Encoding must be gzip or none; got '{encoding}'."));
        }

        var (raw, error) = await RequestBody.ReadBytesAsync(request, maxBytes, cancellationToken);
        if (error is not null)
        {
            return (null, error);
        }

        if (encoding != "gzip")
        {
            return (raw, null);
        }

        try
        {
            return OtlpDecoder.Gunzip(raw!, maxBytes) is { } inflated ? (inflated, null) : (null, RequestBody.TooLarge(maxBytes));
        }
        catch (InvalidDataException)
        {
            return (null, ApiErrors.Validation("The body is not valid gzip although Content-Encoding is gzip."));
        }
    }
}
