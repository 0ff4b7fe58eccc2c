using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace TraceReplay.Api.Infrastructure;

/// <summary>
/// JSON request bodies bound by the platform: System.Text.Json reads them into the records of
/// <c>Apis/RequestBodies.cs</c> (the same records the OpenAPI document shows) and .NET's minimal-API validation checks
/// them (<c>IValidatableObject</c>). What goes wrong on the way answers in the documented shape
/// <c>{"error":{"code","message"}}</c>, naming the field: a body that is not JSON, a value of the wrong type, a body
/// over <see cref="ApiOptions.MaxRequestBodyBytes"/>, a value the record refuses.
/// </summary>
public static class RequestBinding
{
    public static WebApplicationBuilder AddTraceReplayRequestBinding(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.MaxDepth = RequestBody.MaxDepth);
        // Binding failures throw, so that the handler below answers them with the field the reader stopped at.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestBodyHandler>();
        // Ahead of AddProblemDetails' default writer: validation problems are written in our error shape.
        builder.Services.AddSingleton<IProblemDetailsWriter, ValidationErrorWriter>();
        return builder;
    }

    /// <summary>Every request body is held to <see cref="ApiOptions.MaxRequestBodyBytes"/> before anything reads it.</summary>
    public static WebApplication UseTraceReplayRequestBodyLimit(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var maxBytes = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBodyBytes;
            if (context.Request.ContentLength > maxBytes)
            {
                return RequestBody.TooLarge(maxBytes).ExecuteAsync(context);
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = maxBytes;
            }

            // The server enforces the limit too, but not every server does (the test host does not), and a chunked
            // body has no length to refuse up front: reading past the limit fails here, as a 413.
            context.Request.Body = new LimitedBody(context.Request.Body, maxBytes);
            return next(context);
        });
        return app;
    }

    /// <summary>A JSON path of the reader (<c>$.filter.limit</c>) or a validation key (<c>Filter.Limit</c>) as the field clients send.</summary>
    public static string FieldName(string? path)
    {
        var trimmed = (path ?? string.Empty).TrimStart('$').TrimStart('.');
        var field = new StringBuilder(trimmed.Length);
        var startOfName = true;
        foreach (var c in trimmed)
        {
            field.Append(startOfName && char.IsUpper(c) ? char.ToLowerInvariant(c) : c);
            startOfName = c is '.' or '[' or ']';
        }

        return field.ToString();
    }
}

/// <summary>Turns a body the platform could not bind into the documented error; everything else goes on to the default handler.</summary>
public sealed class BadRequestBodyHandler(IOptions<ApiOptions> options, IOptions<JsonOptions> json) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var error = bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => RequestBody.TooLarge(options.Value.MaxRequestBodyBytes),
            StatusCodes.Status415UnsupportedMediaType => ApiErrors.Create(
                StatusCodes.Status415UnsupportedMediaType, ApiErrors.ValidationCode, "The body must be JSON: send Content-Type: application/json."),
            _ when bad.InnerException is JsonException reading => ApiErrors.Validation(Describe(reading, BodyType(httpContext))),
            _ when bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase) => ApiErrors.Validation("The request body is required: a JSON object."),
            _ => ApiErrors.Validation(bad.Message),
        };
        await error.ExecuteAsync(httpContext);
        return true;
    }

    // The exception handler clears the request's endpoint; the feature keeps the one that failed.
    private static Type? BodyType(HttpContext context) =>
        context.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;

    private string Describe(JsonException error, Type? bodyType)
    {
        const string wrongType = "The JSON value could not be converted to ";
        if (!error.Message.StartsWith(wrongType, StringComparison.Ordinal))
        {
            return $"Malformed JSON body: {error.Message}";
        }

        // The reader names a .NET type (often the record's, not the field's); clients need the field and the kind of
        // JSON value it takes, found by following the path through the body's contract.
        var field = RequestBinding.FieldName(error.Path);
        var kind = Kind(FieldType(bodyType, error.Path));
        if (field.Length > 0)
        {
            return $"{field} must be {kind}.";
        }

        // A body record may say how it is spelled ([Description]), so a body of the wrong kind is answered with its shape.
        var shape = bodyType?.GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), inherit: false)
            .OfType<System.ComponentModel.DescriptionAttribute>().FirstOrDefault()?.Description;
        return shape is null ? $"The body must be {kind}." : $"The body must be {kind}: {shape}.";
    }

    private Type? FieldType(Type? bodyType, string? path)
    {
        var type = bodyType;
        foreach (var segment in (path ?? "$").TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Split('[')[0];
            if (type is null || json.Value.SerializerOptions.GetTypeInfo(type).Properties.FirstOrDefault(p => p.Name == name) is not { } property)
            {
                return null;
            }

            type = property.PropertyType;
            if (segment.Contains('[', StringComparison.Ordinal))
            {
                type = type.IsArray ? type.GetElementType() : type.GetGenericArguments().FirstOrDefault();
            }
        }

        return type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
    }

    private static string Kind(Type? type) => type switch
    {
        null => "a value of another type",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) || type == typeof(decimal) => "a number",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(DateTimeOffset) => "an ISO 8601 timestamp",
        _ when type == typeof(string) => "a string",
        _ when typeof(System.Collections.Generic.IEnumerable<string>).IsAssignableFrom(type) => "an array of strings",
        _ when typeof(System.Collections.IEnumerable).IsAssignableFrom(type) && type != typeof(System.Text.Json.Nodes.JsonObject) => "an array",
        _ => "a JSON object",
    };
}

/// <summary>Writes the validation problems of a bound body as <c>{"error":{"code":"VALIDATION_ERROR","message":...}}</c>.</summary>
public sealed class ValidationErrorWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => context.ProblemDetails is HttpValidationProblemDetails;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var errors = ((HttpValidationProblemDetails)context.ProblemDetails).Errors;
        var message = string.Join(" ", errors.SelectMany(e => e.Value.Select(m => Sentence(e.Key, m))));
        return new(ApiErrors.Validation(message.Length > 0 ? message : "The request body is not valid.").ExecuteAsync(context.HttpContext));
    }

    // A record's own messages start with the field they are about, relative to the record ("must be ...", "is required");
    // the key says where that record sits in the body.
    private static string Sentence(string key, string message)
    {
        var field = RequestBinding.FieldName(key);
        return field.Length == 0 || message.StartsWith(field, StringComparison.Ordinal) ? message : $"{field} {message}";
    }
}

/// <summary>A request body that fails with a 413 <see cref="BadHttpRequestException"/> once more than its limit is read.</summary>
internal sealed class LimitedBody(Stream inner, long maxBytes) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        _read += read;
        return _read > maxBytes
            ? throw new BadHttpRequestException($"The request body exceeds the limit of {maxBytes} bytes.", StatusCodes.Status413PayloadTooLarge)
            : read;
    }
}
