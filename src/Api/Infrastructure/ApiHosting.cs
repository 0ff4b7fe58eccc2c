using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Apis;
using TraceReplay.Api.Dashboard;
using TraceReplay.Api.Demo;

namespace TraceReplay.Api.Infrastructure;

/// <summary>How the API host is put together; Program.cs only calls these two methods.</summary>
public static class ApiHosting
{
    /// <summary>The default address when neither --urls nor ASPNETCORE_URLS says otherwise.</summary>
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplicationBuilder AddTraceReplayApi(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                if (options.ApiKey is { Length: > 0 })
                {
                    options.ApiKeySource = $"the {ApiOptions.Section}:ApiKey setting";
                }
                else if (configuration["TRACEREPLAY_API_KEY"] is { Length: > 0 } key)
                {
                    (options.ApiKey, options.ApiKeySource) = (key, "the TRACEREPLAY_API_KEY environment variable");
                }
                else
                {
                    (options.ApiKey, options.ApiKeySource) = (ApiOptions.GenerateKey(),
                        "generated at start-up, new on every start: set TRACEREPLAY_API_KEY to keep one");
                }
            })
            .Validate(o => o.MaxRequestBodyBytes > 0, $"{ApiOptions.Section}:MaxRequestBodyBytes must be at least 1.")
            .Validate(o => o.KeyCacheDuration >= TimeSpan.Zero, $"{ApiOptions.Section}:KeyCacheDuration must not be negative.")
            .ValidateOnStart();

        // Orleans logs every options class at start-up at Information (some 300 lines), burying the URL and key
        // printed after it; ASP.NET Core logs four lines per request (the dashboard polls, probes call /health), which
        // would scroll them away at once. Both show again where the configuration names these categories' levels.
        foreach (var category in (string[])["Orleans.Runtime.SiloOptionsLogger", "Orleans.ClientOptionsLogger", "Orleans.Runtime.ClientOptionsLogger", "Microsoft.AspNetCore"])
        {
            if (builder.Configuration[$"Logging:LogLevel:{category}"] is null)
            {
                builder.Logging.AddFilter(category, LogLevel.Warning);
            }
        }
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddSingleton<TraceReplay.Api.Ingestion.BatchIngestor>();
        builder.Services.AddSingleton<TraceReplay.Api.Apis.SweepStatuses>();
        builder.Services.AddSingleton<StartupBanner>();
        builder.Services.AddSingleton<TraceReplay.Silo.Telemetry.IConsoleSummaryGate>(sp => sp.GetRequiredService<StartupBanner>());
        builder.AddTraceReplayAccess();
        builder.AddTraceReplayRequestHygiene();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            // Numbers in a body are JSON numbers ("limit": "5" is refused, naming the field); the web defaults would
            // also read numbers written as strings, in some bodies only.
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper));
        });
        builder.AddTraceReplayRequestBinding();
        builder.AddTraceReplayStartupGate();
        builder.Services.AddProblemDetails();
        builder.Services.AddTraceReplayApiDocumentation();
        builder.Services.AddTraceReplayHealthChecks();
        builder.AddTraceReplayApiTelemetry();

        // The all-in-one default co-hosts a silo; in the Client role the API joins a cluster of src/Silo processes.
        // Either way the handlers reach grains through an IClusterClient.
        builder.AddTraceReplayCluster();
        builder.Services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<DemoStory>();
        builder.Services.AddHostedService<DemoDataSeeder>();
        return builder;
    }

    public static WebApplication UseTraceReplayApi(this WebApplication app)
    {
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledErrorAsync));
        app.UseStatusCodePages(context => context.HttpContext.Response.HasStarted || context.HttpContext.Response.ContentLength > 0
            ? Task.CompletedTask
            : ApiErrors.Create(context.HttpContext.Response.StatusCode, StatusCodeName(context.HttpContext.Response.StatusCode),
                context.HttpContext.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType
                    ? "The body must be JSON: send Content-Type: application/json."
                    : $"{context.HttpContext.Request.Method} {context.HttpContext.Request.Path} answered {context.HttpContext.Response.StatusCode}.")
                .ExecuteAsync(context.HttpContext));
        app.UseTraceReplayRequestHygiene();
        app.UseTraceReplayRequestBodyLimit();
        app.UseTraceReplayStartupGate();
        app.UseDefaultFiles();
        app.UseStaticFiles();

        app.MapTraceReplayApiDocumentation();
        app.MapTraceReplayHealth();
        app.MapTraceReplayMetrics();
        // Every keyed endpoint looks its key up in the cluster, so each can answer 503 while storage is out of reach.
        var api = app.MapGroup(string.Empty).AddEndpointFilter<ApiKeyFilter>().ProducesErrors(StatusCodes.Status401Unauthorized).ProducesUnavailable();
        api.MapTracesApi();
        api.MapReplaysApi();
        api.MapComparisonApi();
        api.MapModelsApi();
        api.MapPromptTemplatesApi();
        api.MapEvaluatorsApi();
        api.MapBackfillsApi();
        api.MapOtlpApi();
        app.MapOrleansOperatorDashboard();
        api.MapSweepsApi();
        app.MapProjectsApi();
        app.MapDashboard();

        app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app));
        return app;
    }

    private static Task WriteUnhandledErrorAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is BadHttpRequestException bad)
        {
            return ApiErrors.Create(bad.StatusCode, StatusCodeName(bad.StatusCode), "The request could not be read.").ExecuteAsync(context);
        }

        return ApiErrors.Create(StatusCodes.Status500InternalServerError, ApiErrors.InternalCode, "An internal error occurred.").ExecuteAsync(context);
    }

    private static string StatusCodeName(int status) => status switch
    {
        StatusCodes.Status404NotFound => ApiErrors.NotFoundCode,
        StatusCodes.Status405MethodNotAllowed => "METHOD_NOT_ALLOWED",
        StatusCodes.Status413PayloadTooLarge => ApiErrors.PayloadTooLargeCode,
        StatusCodes.Status401Unauthorized => ApiErrors.UnauthorizedCode,
        StatusCodes.Status429TooManyRequests => ApiErrors.RateLimitCode,
        StatusCodes.Status503ServiceUnavailable => ApiErrors.UnavailableCode,
        >= 500 => ApiErrors.InternalCode,
        _ => ApiErrors.ValidationCode,
    };

    /// <summary>The URL and key go to the console only, never to a log sink.</summary>
    private static void PrintBanner(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        app.Services.GetRequiredService<StartupBanner>().PrintStarted([.. addresses]);
    }
}
