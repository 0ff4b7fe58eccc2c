using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Streams;
using TraceReplay.Grains;
using TraceReplay.Grains.Evaluation;
using TraceReplay.Grains.Evaluation.Evaluators;

namespace TraceReplay.Silo;

/// <summary>The evaluation pipeline's silo configuration: registry storage, the trace-events stream and the services.</summary>
public static class EvaluationSiloExtensions
{
    /// <summary>
    /// Memory streams carry TraceCreated in every mode; lost events are re-driven by evaluation recovery
    /// (<see cref="EvaluationRecoveryGrain"/>, scheduled at silo start). Subscriptions are implicit only (the
    /// EvaluationGrain's), so no pub-sub grain or PubSubStore is involved: an explicit pub-sub rendezvous grain per
    /// trace's stream was a grain activation and a state write per new trace.
    /// </summary>
    public static ISiloBuilder AddTraceEvaluation(this ISiloBuilder silo)
    {
        silo.AddMemoryStreams(TraceReplayNames.StreamProvider, streams =>
        {
            streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            streams.ConfigurePullingAgent(agent => agent.Configure<IOptions<EvaluationOptions>>((options, evaluation) =>
                options.StreamInactivityPeriod = evaluation.Value.TraceStreamLifetime));
        });

        var services = silo.Services;
        services.AddOptions<EvaluationOptions>().BindConfiguration(EvaluationOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.JudgeModel), $"{EvaluationOptions.Section}:JudgeModel must name a model.")
            .Validate(o => o.SettleDelay >= TimeSpan.Zero, $"{EvaluationOptions.Section}:SettleDelay must not be negative.")
            .Validate(o => o.RedriveInterval > TimeSpan.Zero, $"{EvaluationOptions.Section}:RedriveInterval must be positive.")
            .Validate(o => o.TraceStreamLifetime > TimeSpan.Zero, $"{EvaluationOptions.Section}:TraceStreamLifetime must be positive.")
            .ValidateOnStart();

        // Let a configured re-drive interval below Orleans' one-minute default take effect for the recovery reminder
        // (tests use seconds).
        services.AddOptions<ReminderOptions>().Configure<IOptions<EvaluationOptions>>((reminders, evaluation) =>
            reminders.MinimumReminderPeriod = TimeSpan.FromTicks(Math.Min(reminders.MinimumReminderPeriod.Ticks, evaluation.Value.RedriveInterval.Ticks)));
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .PostConfigure<IHostEnvironment>((options, environment) => options.RequireHttps ??= environment.IsProduction())
            .ValidateOnStart();
        // Every webhook connection goes through the guard: the addresses it checked are the ones it connects to. No
        // proxy: a proxy would resolve the name again, out of the guard's sight.
        services.AddHttpClient(WebhookEvaluator.HttpClientName).ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
        {
            ConnectCallback = new WebhookUrlGuard(sp.GetRequiredService<IOptions<WebhookOptions>>().Value).ConnectAsync,
            AllowAutoRedirect = false,
            UseProxy = false,
        });
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<EvaluatorCatalog>(
            sp, sp.GetRequiredService<TraceReplay.Grains.Llm.LlmPool>(), sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<IOptions<EvaluationOptions>>(), sp.GetRequiredService<IOptions<WebhookOptions>>()));
        services.TryAddSingleton<EvaluationRunner>();
        services.TryAddSingleton<ITraceEventPublisher, StreamTraceEventPublisher>();
        return silo;
    }
}
