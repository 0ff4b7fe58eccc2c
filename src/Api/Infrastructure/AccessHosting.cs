using Microsoft.Extensions.Options;
using TraceReplay.Grains.Evaluation;

namespace TraceReplay.Api.Infrastructure;

/// <summary>Projects, keys and limits: the services behind <see cref="ApiKeyFilter"/> and <see cref="AdminKeyFilter"/>.</summary>
public static class AccessHosting
{
    public const string AdminKeyVariable = "TRACEREPLAY_ADMIN_KEY";

    public static WebApplicationBuilder AddTraceReplayAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiOptions>().PostConfigure<IConfiguration>((options, configuration) =>
            options.AdminKey ??= configuration[AdminKeyVariable] is { Length: > 0 } key ? key : null);
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => o.RequestsPerSecond > 0, $"{RateLimitOptions.Section}:RequestsPerSecond must be at least 1.")
            .Validate(o => o.UnauthenticatedRequests > 0, $"{RateLimitOptions.Section}:UnauthenticatedRequests must be at least 1.")
            .Validate(o => o.UnauthenticatedWindow > TimeSpan.Zero, $"{RateLimitOptions.Section}:UnauthenticatedWindow must be longer than zero.")
            .ValidateOnStart();
        builder.Services.AddOptions<LimitOptions>().BindConfiguration(LimitOptions.Section)
            .Validate(o => o.MaxBatchEvents > 0, $"{LimitOptions.Section}:MaxBatchEvents must be at least 1.")
            .Validate(o => o.MaxReplaysInFlightPerProject > 0, $"{LimitOptions.Section}:MaxReplaysInFlightPerProject must be at least 1.")
            .Validate(o => o.MaxSweepsPerProject > 0, $"{LimitOptions.Section}:MaxSweepsPerProject must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<KeyRateLimiter>();
        builder.Services.AddSingleton<UnauthenticatedRateLimiter>();
        builder.Services.AddSingleton<AdminKeyFilter>();
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .PostConfigure<IHostEnvironment>((options, environment) => options.RequireHttps ??= environment.IsProduction())
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new WebhookUrlGuard(sp.GetRequiredService<IOptions<WebhookOptions>>().Value));
        return builder;
    }
}
