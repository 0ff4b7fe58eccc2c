using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace TraceReplay.Grains.Evaluation;

/// <summary>Announces traces that are ready to score.</summary>
public interface ITraceEventPublisher
{
    Task PublishAsync(TraceCreated created);
}

/// <summary>Publishes on the trace-events stream provider, one stream per trace (namespace trace-created, key = the trace's grain key).</summary>
public sealed class StreamTraceEventPublisher(IServiceProvider services) : ITraceEventPublisher
{
    public Task PublishAsync(TraceCreated created) =>
        services.GetRequiredKeyedService<IStreamProvider>(TraceReplayNames.StreamProvider)
            .GetStream<TraceCreated>(StreamId.Create(TraceReplayNames.TraceCreatedNamespace, TraceKeys.For(created.Project, created.TraceId)))
            .OnNextAsync(created);
}
