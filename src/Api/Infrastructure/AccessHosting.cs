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
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        builder.Services.AddOptions<LimitOptions>().BindConfiguration(LimitOptions.Section);
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<KeyRateLimiter>();
        builder.Services.AddSingleton<UnauthenticatedRateLimiter>();
        builder.Services.AddSingleton<AdminKeyFilter>();
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .PostConfigure<IHostEnvironment>((options, environment) => options.RequireHttps ??= environment.IsProduction());
        builder.Services.AddSingleton(sp => new WebhookUrlGuard(sp.GetRequiredService<IOptions<WebhookOptions>>().Value));
        return builder;
    }
}
