using Google.Protobuf;
using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Api.Otlp;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Grains;

namespace TraceReplay.Api.Apis;

/// <summary>
/// OpenTelemetry trace ingestion over OTLP/HTTP: 2Signal's <c>/api/v1/otel/traces</c> and the standard
/// <c>/v1/traces</c>, so <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> can point at the service. Protobuf or JSON, gzip or not;
/// the answer is an ExportTraceServiceResponse in the request's encoding, with partial_success for rejected spans.
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
        return app;
    }

    /// <summary>An ExportTraceServiceRequest in, an ExportTraceServiceResponse out, both protobuf or JSON.</summary>
    private static RouteHandlerBuilder DescribeOtlpExport(this RouteHandlerBuilder endpoint) => endpoint
        .DocumentsRawBody("application/x-protobuf", "application/json")
        .Produces<byte[]>(StatusCodes.Status200OK, "application/x-protobuf", "application/json")
        .ProducesErrors(400, 413, 415);

    public static async Task<Results<FileContentHttpResult, JsonHttpResult<ApiErrorBody>>> ExportTraces(
        HttpRequest request, [AsParameters] TraceServices services, CancellationToken cancellationToken)
    {
        if (OtlpDecoder.FormatOf(request.ContentType) is not { } format)
        {
            return ApiErrors.Create(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
                $"Content-Type must be application/x-protobuf or application/json; got '{request.ContentType}'.");
        }

        var maxBytes = services.Options.MaxRequestBodyBytes;
        var (body, error) = await ReadBodyAsync(request, maxBytes, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        // The protobuf JSON parser skips unknown fields unread; refuse what no JSON reader should take (deep, not UTF-8, lone surrogates) first.
        if (format == OtlpFormat.Json && RequestBody.Validate(body!) is { } invalid)
        {
            return invalid;
        }

        var (decoded, decodeError) = OtlpDecoder.Decode(body!, format);
        if (decodeError is not null)
        {
            return ApiErrors.Validation(decodeError);
        }

        var batch = OtlpTraceMapper.Map(decoded!, services.Time.GetUtcNow());
        var refusals = await Task.WhenAll(batch.Traces.Select(t => services.Trace(t.Key).IngestAsync(t.Value)));
        if (refusals.FirstOrDefault(r => r is not null) is { } refused)
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
