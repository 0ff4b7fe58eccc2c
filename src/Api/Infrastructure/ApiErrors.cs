using Microsoft.AspNetCore.Http.HttpResults;
using TraceReplay.Grains;

namespace TraceReplay.Api.Infrastructure;

/// <summary>The documented error body: <c>{"error": {"code": "...", "message": "..."}}</c>.</summary>
public sealed record ApiErrorBody(ApiErrorDetail Error);

public sealed record ApiErrorDetail(string Code, string Message);

/// <summary>The documented success envelope: <c>{"data": ...}</c>.</summary>
public sealed record DataEnvelope<T>(T Data);

/// <summary>The one place where error codes and their HTTP statuses are decided.</summary>
public static class ApiErrors
{
    public const string ValidationCode = "VALIDATION_ERROR";
    public const string NotFoundCode = "NOT_FOUND";
    public const string GoneCode = "GONE";
    public const string UnauthorizedCode = "UNAUTHORIZED";
    public const string PayloadTooLargeCode = "PAYLOAD_TOO_LARGE";
    public const string ConflictCode = "CONFLICT";
    public const string InternalCode = "INTERNAL_ERROR";
    public const string RateLimitCode = "RATE_LIMIT_EXCEEDED";
    public const string LimitExceededCode = "LIMIT_EXCEEDED";
    public const string UnavailableCode = "SERVICE_UNAVAILABLE";

    /// <summary>The Retry-After of a 503: the database or the cluster is briefly out of reach.</summary>
    public const int UnavailableRetryAfterSeconds = 2;

    public static JsonHttpResult<ApiErrorBody> Validation(string message) => Create(StatusCodes.Status400BadRequest, ValidationCode, message);

    public static JsonHttpResult<ApiErrorBody> NotFound(string message) => Create(StatusCodes.Status404NotFound, NotFoundCode, message);

    public static JsonHttpResult<ApiErrorBody> Gone(string message) => Create(StatusCodes.Status410Gone, GoneCode, message);

    public static JsonHttpResult<ApiErrorBody> Unauthorized(string message) => Create(StatusCodes.Status401Unauthorized, UnauthorizedCode, message);

    public static JsonHttpResult<ApiErrorBody> Conflict(string message) => Create(StatusCodes.Status409Conflict, ConflictCode, message);

    public static JsonHttpResult<ApiErrorBody> PayloadTooLarge(string message) => Create(StatusCodes.Status413PayloadTooLarge, PayloadTooLargeCode, message);

    public static JsonHttpResult<ApiErrorBody> RateLimited(string message) => Create(StatusCodes.Status429TooManyRequests, RateLimitCode, message);

    /// <summary>A limit on work in flight (replays, sweeps) was reached; retry once some finished.</summary>
    public static JsonHttpResult<ApiErrorBody> LimitExceeded(string message) => Create(StatusCodes.Status429TooManyRequests, LimitExceededCode, message);

    /// <summary>Maps a grain's expected refusal to its status and code.</summary>
    public static JsonHttpResult<ApiErrorBody> From(RequestError error) => error.Kind switch
    {
        ErrorKind.Validation => Validation(error.Message),
        ErrorKind.NotFound => NotFound(error.Message),
        ErrorKind.Gone => Gone(error.Message),
        ErrorKind.Conflict => Conflict(error.Message),
        ErrorKind.TooLarge => PayloadTooLarge(error.Message),
        ErrorKind.LimitExceeded => LimitExceeded(error.Message),
        _ => throw new ArgumentOutOfRangeException(nameof(error), error.Kind, "Unknown error kind."),
    };

    /// <summary>
    /// 503 when <paramref name="error"/> says the database or the cluster is out of reach for now (the connection
    /// budget exhausted, PostgreSQL refusing or restarting, no silo answering); null for any other failure.
    /// </summary>
    public static JsonHttpResult<ApiErrorBody>? Unavailable(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case StorageUnavailableException:
                    return Create(StatusCodes.Status503ServiceUnavailable, UnavailableCode, "The database is busy or unavailable; retry shortly.");
                case SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException or OrleansMessageRejectionException or GatewayTooBusyException:
                // A client that has reached no gateway yet knows none of the cluster's grain types.
                case ArgumentException when current.Message.StartsWith("Could not find an implementation for interface", StringComparison.Ordinal):
                    return Create(StatusCodes.Status503ServiceUnavailable, UnavailableCode, "The cluster is not reachable; retry shortly.");
            }
        }

        return TraceReplay.Silo.Postgres.StorageUnavailableFilter.Transient(error) is not null
            ? Create(StatusCodes.Status503ServiceUnavailable, UnavailableCode, "The database is busy or unavailable; retry shortly.")
            : null;
    }

    /// <summary>503 while the API has not reached the cluster since it started (<see cref="StartupGate"/>).</summary>
    public static JsonHttpResult<ApiErrorBody> Starting() =>
        Create(StatusCodes.Status503ServiceUnavailable, UnavailableCode, StartupGate.StartingMessage);

    /// <summary>Writes a 503 with <c>Retry-After</c>: <see cref="UnavailableRetryAfterSeconds"/>.</summary>
    public static Task WriteUnavailableAsync(HttpContext context, JsonHttpResult<ApiErrorBody> unavailable)
    {
        context.Response.Headers.RetryAfter = UnavailableRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return unavailable.ExecuteAsync(context);
    }

    public static JsonHttpResult<ApiErrorBody> Create(int status, string code, string message) =>
        TypedResults.Json(new ApiErrorBody(new ApiErrorDetail(code, message)), statusCode: status);
}
