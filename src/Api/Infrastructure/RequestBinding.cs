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
public sealed class BadRequestBodyHandler(IOptions<ApiOptions> options) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
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
            _ when bad.InnerException is JsonException json => ApiErrors.Validation(Describe(json)),
            _ when bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase) => ApiErrors.Validation("The request body is required: a JSON object."),
            _ => ApiErrors.Validation(bad.Message),
        };
        await error.ExecuteAsync(context);
        return true;
    }

    private static string Describe(JsonException error)
    {
        var field = RequestBinding.FieldName(error.Path);
        // The reader's own message says which .NET type it wanted; clients need the field and that it is the wrong kind.
        if (error.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) && field.Length > 0)
        {
            return $"{field} has a value of the wrong type.";
        }

        if (error.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return "The body must be a JSON object.";
        }

        return $"Malformed JSON body: {error.Message}";
    }
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
