using Npgsql;
using TraceReplay.Grains;

namespace TraceReplay.Silo.Postgres;

/// <summary>
/// Turns a transient PostgreSQL failure escaping a grain call (no connection within the pool's wait, the server at its
/// connection limit or restarting) into a <see cref="StorageUnavailableException"/>, which crosses the wire as itself,
/// so the API answers 503 with Retry-After instead of 500.
/// </summary>
public sealed class StorageUnavailableFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (ex is not StorageUnavailableException && Transient(ex) is { } cause)
        {
            throw new StorageUnavailableException($"The database is unavailable for now ({Describe(cause)}).");
        }
    }

    /// <summary>The transient Npgsql failure in <paramref name="exception"/>'s chain, if any.</summary>
    public static NpgsqlException? Transient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is NpgsqlException { IsTransient: true } npgsql)
            {
                return npgsql;
            }

            if (current is AggregateException aggregate && aggregate.InnerExceptions.Select(Transient).FirstOrDefault(e => e is not null) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }

    /// <summary>A description without the connection string: the SQL state, or the pool's own wording.</summary>
    public static string Describe(NpgsqlException exception) => exception switch
    {
        PostgresException postgres => $"PostgreSQL {postgres.SqlState}",
        { InnerException: TimeoutException } => "no connection free within the wait",
        _ => "connection failed",
    };
}
