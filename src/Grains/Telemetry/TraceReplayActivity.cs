using System.Diagnostics;

namespace TraceReplay.Grains.Telemetry;

/// <summary>
/// The service's own spans (ActivitySource <c>TraceReplay</c>): one around each LLM call and around each replay drive.
/// A replay is driven by a grain timer, outside the call that triggered it, so the trigger's W3C traceparent is kept
/// in the replay's state and each drive is started as its child: the HTTP request, the grain calls, the drive and its
/// LLM calls form one trace, also when a reminder re-drives the replay after a restart.
/// </summary>
public static class TraceReplayActivity
{
    public const string SourceName = "TraceReplay";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The current span's traceparent, to be kept by work that continues outside this call.</summary>
    public static string? CurrentParent() => Activity.Current?.Id is { } id && Activity.Current.IdFormat == ActivityIdFormat.W3C ? id : null;

    /// <summary>A replay drive, the child of the span that started the replay when its traceparent is known.</summary>
    public static Activity? StartReplayDrive(string replayId, string? traceId, string? parent)
    {
        var context = parent is not null && ActivityContext.TryParse(parent, null, out var parsed) ? parsed : default;
        var activity = Source.StartActivity("replay.drive", ActivityKind.Internal, context);
        activity?.SetTag("tracereplay.replay.id", replayId);
        activity?.SetTag("tracereplay.trace.id", traceId);
        return activity;
    }

    /// <summary>One LLM call, named as the GenAI semantic conventions name a chat call.</summary>
    public static Activity? StartLlmCall(string provider, string model)
    {
        var activity = Source.StartActivity($"chat {model}", ActivityKind.Client);
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.system", provider);
        activity?.SetTag("gen_ai.request.model", model);
        return activity;
    }

    /// <summary>Records an LLM call's outcome on its span: tokens, retries and, on failure, the status.</summary>
    public static void RecordLlmResult(this Activity? activity, LlmCallResult result)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("gen_ai.response.model", result.ResponseModel);
        activity.SetTag("gen_ai.usage.input_tokens", result.PromptTokens);
        activity.SetTag("gen_ai.usage.output_tokens", result.CompletionTokens);
        activity.SetTag("tracereplay.llm.attempts", result.Attempts);
        activity.SetTag("tracereplay.llm.retries", Math.Max(0, result.Attempts - 1));
        if (!result.Succeeded)
        {
            activity.SetTag("http.response.status_code", result.ErrorStatus);
            activity.SetStatus(ActivityStatusCode.Error, result.ErrorStatus is { } status ? $"provider status {status}" : "provider call failed");
        }
    }
}
