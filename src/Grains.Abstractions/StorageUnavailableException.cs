namespace TraceReplay.Grains;

/// <summary>
/// The database could not be reached or refused a connection for now (the process's connection budget exhausted, the
/// server at its connection limit, restarting or unreachable). Retrying later may succeed; the API answers 503.
/// The message names the kind of failure only, never the configuration.
/// </summary>
[GenerateSerializer, Alias("TraceReplay.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
