using System.Text.Json;
using System.Text.Json.Nodes;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Templates;

namespace TraceReplay.Grains.Replays;

/// <summary>
/// Turns a recorded trace and overrides into the exact requests a replay sends. Pure: the same trace, overrides
/// and templates always give the same plan, so a resumed replay plans again instead of storing requests.
/// </summary>
public static class ReplayPlanner
{
    public static ReplayPlan Plan(TraceData trace, ReplayOverrides overrides, TemplateContext templates)
    {
        var (parameterOverrides, parameterError) = ModelParameterRules.Parse(overrides.ModelParametersJson);
        if (parameterError is not null)
        {
            return new ReplayPlan([], parameterError);
        }

        var llmSpans = trace.Spans.Where(s => s.Type == SpanType.Llm).ToList();
        if (llmSpans.Count == 0)
        {
            return new ReplayPlan([], $"trace '{trace.Id}' has no LLM spans to replay.");
        }

        var skipped = llmSpans
            .Where(s => s.NotReplayableReason is not null)
            .Select(s => new SkippedSpan(s.Id, s.Name, s.NotReplayableReason!))
            .ToList();
        if (skipped.Count == llmSpans.Count)
        {
            return new ReplayPlan([], $"trace '{trace.Id}' has no replayable LLM spans: "
                + string.Join("; ", skipped.Select(s => $"span '{s.SpanId}' ({s.Name}): {s.Reason}")), skipped);
        }

        var byId = trace.Spans.GroupBy(s => s.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var calls = new List<PlannedCall>(llmSpans.Count);
        foreach (var span in llmSpans.Where(s => s.NotReplayableReason is null))
        {
            var (call, error) = PlanSpan(span, Inherited(span, byId), overrides, parameterOverrides, templates);
            if (error is not null)
            {
                return new ReplayPlan([], error);
            }

            calls.Add(call!);
        }

        return new ReplayPlan(calls, null, skipped);
    }

    /// <summary>
    /// Settings an LLM span's agent or chain ancestors recorded (the Vercel AI SDK records seed and tool choice only on
    /// its <c>invoke_agent</c> / <c>ai.generateText</c> span), nearest ancestor first; the span's own win.
    /// </summary>
    private static JsonObject Inherited(SpanData span, Dictionary<string, SpanData> byId)
    {
        var inherited = new JsonObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var parent = span.ParentSpanId; parent is not null && seen.Add(parent) && byId.TryGetValue(parent, out var ancestor); parent = ancestor.ParentSpanId)
        {
            if (ancestor.Type is not (SpanType.Agent or SpanType.Chain) || ChatPayload.ParseObjectOrNull(ancestor.ModelParametersJson) is not { } settings)
            {
                continue;
            }

            foreach (var (name, value) in settings)
            {
                if (!inherited.ContainsKey(name))
                {
                    inherited[name] = value?.DeepClone();
                }
            }
        }

        return inherited;
    }

    private static (PlannedCall? Call, string? Error) PlanSpan(
        SpanData span, JsonObject inherited, ReplayOverrides overrides, JsonObject? parameterOverrides, TemplateContext templates)
    {
        var model = overrides.Model ?? span.Model;
        if (string.IsNullOrWhiteSpace(model))
        {
            return (null, $"LLM span '{span.Id}' has no recorded model; give a model override.");
        }

        if (!TryReadRequest(span.InputJson, out var body, out var messages))
        {
            return (null, $"LLM span '{span.Id}' has no replayable input: it must be an array of chat messages or an object with 'messages'.");
        }

        var templateChanged = false;
        var templateVersionId = span.PromptTemplateVersionId;
        if (templates.Override is { } version
            && span.PromptTemplateVersionId is { } recorded
            && templates.RecordedTemplateNames.TryGetValue(recorded, out var recordedName)
            && recordedName == version.Name
            && recorded != version.Id)
        {
            var rendered = PromptTemplateRenderer.Render(version.Content, span.PromptVariablesJson);
            if (rendered.Error is not null)
            {
                return (null, $"promptTemplateVersionId: cannot render version {version.Version} of '{version.Name}' for span '{span.Id}': {rendered.Error}");
            }

            if (span.PromptMessageIndex is null && body["system"] is JsonValue)
            {
                // Anthropic keeps the system prompt at the top level, not among the messages.
                body["system"] = rendered.Text;
                templateChanged = true;
                templateVersionId = version.Id;
            }

            var index = span.PromptMessageIndex ?? FindSystemMessage(messages);
            if (!templateChanged)
            {
                if (index < 0 || index >= messages.Count || messages[index] is not JsonObject message)
                {
                    return (null, $"LLM span '{span.Id}' has no message at index {index} to re-render.");
                }

                message["content"] = rendered.Text;
                templateChanged = true;
                templateVersionId = version.Id;
            }
        }

        var recordedParameters = ChatPayload.ParseObjectOrNull(span.ModelParametersJson) ?? [];
        if (inherited["tool_choice"] is { } toolChoice && body["tools"] is JsonArray { Count: > 0 } && !body.ContainsKey("tool_choice"))
        {
            body["tool_choice"] = toolChoice.DeepClone();
        }

        foreach (var (name, value) in inherited)
        {
            if (name != "tool_choice" && !recordedParameters.ContainsKey(name)
                && !(name == "max_tokens" && recordedParameters.ContainsKey("max_completion_tokens")))
            {
                recordedParameters[name] = value?.DeepClone();
            }
        }

        var parameters = (JsonObject)recordedParameters.DeepClone();
        foreach (var (name, value) in parameterOverrides ?? [])
        {
            if (value is null)
            {
                parameters.Remove(name);
            }
            else
            {
                parameters[name] = value.DeepClone();
            }
        }

        var format = LlmWireFormat.Detect(ChatPayload.ParseOrNull(span.InputJson), span.Model, span.MetadataJson);
        foreach (var (name, value) in parameters)
        {
            body[WireName(name, parameters, format)] = value?.DeepClone();
        }

        body["model"] = model;
        var parametersJson = parameters.Count == 0 && span.ModelParametersJson is null && inherited.Count == 0 ? null : parameters.ToJsonString();
        var call = new PlannedCall(
            span,
            new LlmCallRequest(model, body.ToJsonString(), format),
            parametersJson,
            templateChanged ? ReplaceMessages(span.InputJson!, messages) : span.InputJson,
            templateVersionId,
            ModelChanged: overrides.Model is not null && overrides.Model != span.Model,
            ParametersChanged: !JsonNode.DeepEquals(parameters, recordedParameters),
            TemplateChanged: templateChanged);
        return (call, null);
    }

    /// <summary>The fewest completion tokens a capped call may answer with, however short its recording.</summary>
    public const int MinCompletionCap = 16;

    /// <summary>The answer length a budgeted replay allows a call that recorded <paramref name="recorded"/> completion tokens.</summary>
    public static int CompletionCap(int recorded, double margin) =>
        (int)Math.Min(int.MaxValue, Math.Max(MinCompletionCap, Math.Ceiling(recorded * margin)));

    /// <summary>
    /// The plan with each call's token limit lowered to <see cref="CompletionCap"/> of its recorded completion tokens
    /// (a lower recorded or overridden limit stays). Calls whose span recorded no completion tokens keep their limit.
    /// </summary>
    public static ReplayPlan CapCompletions(ReplayPlan plan, double margin)
    {
        var calls = new List<PlannedCall>(plan.Calls.Count);
        foreach (var call in plan.Calls)
        {
            if (call.Span.CompletionTokens is not { } recorded || JsonNode.Parse(call.Request.RequestBodyJson) is not JsonObject body)
            {
                calls.Add(call);
                continue;
            }

            var cap = CompletionCap(recorded, margin);
            var name = body.ContainsKey("max_tokens") && !body.ContainsKey("max_completion_tokens") ? "max_tokens" : "max_completion_tokens";
            if (body[name] is JsonValue limit && limit.TryGetValue<long>(out var current) && current <= cap)
            {
                calls.Add(call);
                continue;
            }

            body[name] = cap;
            calls.Add(call with { Request = call.Request with { RequestBodyJson = body.ToJsonString() } });
        }

        return plan with { Calls = calls };
    }

    /// <summary>The request body from a recorded input: an array of messages, or an object with messages, tools….</summary>
    private static bool TryReadRequest(string? inputJson, out JsonObject body, out JsonArray messages)
    {
        body = [];
        messages = [];
        JsonNode? input;
        try
        {
            input = inputJson is null ? null : JsonNode.Parse(inputJson);
        }
        catch (JsonException)
        {
            return false;
        }

        switch (input)
        {
            case JsonArray array:
                messages = (JsonArray)array.DeepClone();
                body["messages"] = messages;
                return true;
            case JsonObject obj when obj["messages"] is JsonArray:
                body = (JsonObject)obj.DeepClone();
                messages = (JsonArray)body["messages"]!;
                return true;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                messages = [new JsonObject { ["role"] = "user", ["content"] = value.GetValue<string>() }];
                body["messages"] = messages;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Recorded input with the re-rendered messages, in the shape it was recorded in.</summary>
    private static string ReplaceMessages(string inputJson, JsonArray messages)
    {
        var input = JsonNode.Parse(inputJson);
        if (input is JsonObject obj)
        {
            obj["messages"] = messages.DeepClone();
            return obj.ToJsonString();
        }

        return messages.ToJsonString();
    }

    private static int FindSystemMessage(JsonArray messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is JsonObject m && (string?)m["role"] is "system" or "developer")
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>
    /// The parameter's name in the recorded protocol: OpenAI's current name for the token limit (unless the span already
    /// used the new one); Anthropic's max_tokens for either.
    /// </summary>
    private static string WireName(string name, JsonObject parameters, string format) => format == LlmWireFormat.Anthropic
        ? name == "max_completion_tokens" ? "max_tokens" : name
        : name == "max_tokens" && !parameters.ContainsKey("max_completion_tokens") ? "max_completion_tokens" : name;
}
