using System.Text.Json;
using System.Text.Json.Nodes;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Grains;
using OtlpSpan = TraceReplay.Api.Otlp.Proto.Span;

namespace TraceReplay.Api.Otlp;

/// <summary>
/// Maps one OpenTelemetry span to a TraceReplay span. The type comes from <c>gen_ai.operation.name</c>, then
/// <c>openinference.span.kind</c>, then <c>traceloop.span.kind</c>, then the Vercel AI SDK's <c>ai.operationId</c>,
/// else CUSTOM. An LLM span gets its model, request (messages, tools, tool_choice, response_format), answer,
/// parameters and usage from whichever convention recorded them; one without messages is marked not replayable.
/// Attributes the mapping did not use are kept in the span's metadata.
/// </summary>
public static class OtlpSpanMapper
{
    /// <summary>Request keys that are not model parameters: they belong to the input, or are the model itself.</summary>
    private static readonly HashSet<string> StructuralKeys = new(StringComparer.Ordinal)
    {
        "model", "messages", "tools", "tool_choice", "response_format", "functions", "function_call", "stream", "stream_options", "input", "prompt",
    };

    private static readonly HashSet<string> VectorDatabases = new(StringComparer.OrdinalIgnoreCase)
    {
        "chroma", "pinecone", "qdrant", "weaviate", "milvus", "lancedb", "marqo", "pgvector",
    };

    private static readonly (string Attribute, string Parameter)[] GenAiParameters =
    [
        ("gen_ai.request.temperature", "temperature"),
        ("gen_ai.request.max_tokens", "max_tokens"),
        ("gen_ai.request.top_p", "top_p"),
        ("gen_ai.request.top_k", "top_k"),
        ("gen_ai.request.frequency_penalty", "frequency_penalty"),
        ("gen_ai.request.presence_penalty", "presence_penalty"),
        ("gen_ai.request.seed", "seed"),
        ("gen_ai.request.stop_sequences", "stop"),
        ("gen_ai.request.choice.count", "n"),
        ("llm.request.max_tokens", "max_tokens"),
        ("llm.top_p", "top_p"),
        ("llm.frequency_penalty", "frequency_penalty"),
        ("llm.presence_penalty", "presence_penalty"),
        ("ai.settings.temperature", "temperature"),
        ("ai.settings.maxTokens", "max_tokens"),
        ("ai.settings.maxOutputTokens", "max_tokens"),
        ("ai.settings.topP", "top_p"),
        ("ai.settings.topK", "top_k"),
        ("ai.settings.frequencyPenalty", "frequency_penalty"),
        ("ai.settings.presencePenalty", "presence_penalty"),
        ("ai.settings.seed", "seed"),
        ("ai.settings.stopSequences", "stop"),
    ];

    public static SpanData Map(OtlpSpan span, InstrumentationScope? scope)
    {
        var attributes = new OtlpAttributes(span.Attributes);
        var type = DetectType(attributes);
        var metadata = new JsonObject();
        var llm = type == SpanType.Llm ? MapLlm(span, attributes) : null;
        var (input, output) = llm is null ? (Value(attributes, "input"), Value(attributes, "output")) : (llm.Input, llm.Output);
        JsonObject? inherited = null;
        RetrievalFields? retrieval = null;
        if (llm is null && type == SpanType.Retrieval)
        {
            retrieval = MapRetrieval(span, attributes);
            input ??= retrieval.Input;
            output ??= retrieval.Output;
        }

        if (llm is null && type is SpanType.Agent or SpanType.Chain)
        {
            // An agent or generateText span records the run's messages and the settings its chat calls may lack
            // (the Vercel AI SDK puts seed and tool choice only here); replays apply them to those calls.
            input ??= AgentInput(attributes);
            output ??= OutputMessage(span, attributes) is { } answer ? ChatMessageFormats.Output(answer) : null;
            inherited = Parameters(attributes, null);
            if ((VercelToolChoice(attributes.Json("ai.prompt.toolChoice")) ?? attributes.Json("gen_ai.request.tool_choice")) is { } toolChoice)
            {
                inherited["tool_choice"] = toolChoice.DeepClone();
            }
        }

        if (llm is null)
        {
            input ??= attributes.Json("gen_ai.tool.call.arguments") ?? attributes.Json("ai.toolCall.input") ?? attributes.Json("ai.toolCall.args")
                ?? attributes.Json("ai.prompt") ?? attributes.Json("traceloop.entity.input");
            output ??= attributes.Json("gen_ai.tool.call.result") ?? attributes.Json("ai.toolCall.output") ?? attributes.Json("ai.toolCall.result")
                ?? attributes.Json("ai.response.text") ?? attributes.Json("traceloop.entity.output");
        }

        foreach (var (key, value) in attributes.Unused())
        {
            metadata[key] = value?.DeepClone();
        }

        metadata["otel.span_kind"] = span.Kind.ToString().ToUpperInvariant();
        if (scope is { Name.Length: > 0 })
        {
            metadata["otel.scope.name"] = scope.Name;
            metadata["otel.scope.version"] = scope.Version;
        }

        if (span.Status?.Message is { Length: > 0 } statusMessage)
        {
            metadata["otel.status_message"] = statusMessage;
        }

        var otherEvents = span.Events
            .Where(e => llm is null || !e.Name.StartsWith("gen_ai.", StringComparison.Ordinal))
            .Where(e => retrieval is null || !e.Name.EndsWith(".query.result", StringComparison.Ordinal))
            .ToList();
        if (otherEvents.Count > 0)
        {
            metadata["otel.events"] = new JsonArray([.. otherEvents.Select(e => new JsonObject
            {
                ["name"] = e.Name,
                ["time"] = Time(e.TimeUnixNano)?.ToString("O"),
                ["attributes"] = OtlpAttributes.ToObject(e.Attributes),
            })]);
        }

        return new SpanData(
            Hex(span.SpanId),
            span.ParentSpanId.Span.IndexOfAnyExcept((byte)0) < 0 ? null : Hex(span.ParentSpanId),
            span.Name.Length > 0 ? span.Name : "(unnamed span)",
            type,
            Time(span.StartTimeUnixNano),
            Time(span.EndTimeUnixNano),
            input?.ToJsonString(),
            output?.ToJsonString(),
            llm?.Model ?? retrieval?.Model,
            llm?.Parameters?.ToJsonString() ?? (inherited is { Count: > 0 } ? inherited.ToJsonString() : null),
            llm?.PromptTokens ?? retrieval?.PromptTokens,
            llm?.CompletionTokens ?? retrieval?.CompletionTokens,
            null,
            span.Status?.Code == Status.Types.StatusCode.Error ? SpanStatus.Error : SpanStatus.Ok,
            metadata.ToJsonString(),
            NotReplayableReason: llm?.NotReplayableReason);
    }

    public static SpanType DetectType(OtlpAttributes attributes)
    {
        SpanType? type = attributes.PeekString("gen_ai.operation.name")?.ToLowerInvariant() switch
        {
            "chat" or "text_completion" or "generate_content" => SpanType.Llm,
            "embeddings" or "retrieval" => SpanType.Retrieval,
            "execute_tool" => SpanType.Tool,
            "invoke_agent" or "create_agent" => SpanType.Agent,
            _ => null,
        };
        type ??= attributes.PeekString("openinference.span.kind")?.ToUpperInvariant() switch
        {
            "LLM" => SpanType.Llm,
            "TOOL" => SpanType.Tool,
            "RETRIEVER" or "EMBEDDING" or "RERANKER" => SpanType.Retrieval,
            "AGENT" => SpanType.Agent,
            "CHAIN" => SpanType.Chain,
            { } => SpanType.Custom,
            null => null,
        };
        type ??= attributes.PeekString("traceloop.span.kind")?.ToLowerInvariant() switch
        {
            "workflow" or "task" => SpanType.Chain,
            "agent" => SpanType.Agent,
            "tool" => SpanType.Tool,
            { } => SpanType.Custom,
            null => null,
        };
        type ??= attributes.PeekString("ai.operationId") switch
        {
            { } id when id.EndsWith(".doGenerate", StringComparison.Ordinal) || id.EndsWith(".doStream", StringComparison.Ordinal) =>
                id.StartsWith("ai.embed", StringComparison.Ordinal) ? SpanType.Retrieval : SpanType.Llm,
            "ai.toolCall" => SpanType.Tool,
            { } id when id.StartsWith("ai.embed", StringComparison.Ordinal) => SpanType.Retrieval,
            { } => SpanType.Chain,
            null => null,
        };

        // Traceloop's vector-database spans (Chroma, Pinecone, Qdrant…) name their database and record query results as events.
        if (type is null && attributes.PeekString("db.system") is { } db && VectorDatabases.Contains(db))
        {
            type = SpanType.Retrieval;
        }

        // Older GenAI and OpenLLMetry spans name a model but no operation.
        if (type is null && (attributes.Has("gen_ai.request.model") || attributes.PeekString("llm.request.type") is "chat" or "completion"))
        {
            type = SpanType.Llm;
        }

        return type ?? SpanType.Custom;
    }

    private sealed record RetrievalFields(string? Model, JsonNode? Input, JsonNode? Output, int? PromptTokens, int? CompletionTokens);

    /// <summary>
    /// A retrieval or embedding span: the query (or the embedded texts) as input, the documents as output
    /// (GenAI <c>gen_ai.retrieval.documents</c>, OpenInference <c>retrieval.documents.N.document.*</c>, Traceloop's
    /// <c>*.query.result</c> events), and for embeddings the model and token usage, so they count in the trace's totals.
    /// </summary>
    private static RetrievalFields MapRetrieval(OtlpSpan span, OtlpAttributes a)
    {
        var model = a.String("gen_ai.request.model") ?? a.String("embedding.model_name") ?? a.String("ai.model.id")
            ?? a.PeekString("gen_ai.response.model");
        JsonNode? input = a.Json("gen_ai.retrieval.query.text") ?? a.Json("gen_ai.embeddings.input") ?? a.Json("ai.value") ?? a.Json("ai.values")
            ?? a.Json("db.query.text");
        var embedded = a.Indexed("embedding.embeddings.");
        if (input is null && embedded.Count > 0)
        {
            var texts = embedded.Values.Select(e => OtlpAttributes.AsString(e.GetValueOrDefault("embedding.text"))).OfType<string>().ToList();
            input = texts.Count == 1 ? JsonValue.Create(texts[0]) : new JsonArray([.. texts.Select(t => (JsonNode?)JsonValue.Create(t))]);
        }

        if (input is null && a.Json("gen_ai.input.messages") is JsonArray messages)
        {
            input = ChatMessageFormats.FromGenAiParts(messages);
        }

        JsonNode? output = a.Json("gen_ai.retrieval.documents") is JsonArray genAi ? genAi : null;
        var openInference = a.Indexed("retrieval.documents.");
        if (output is null && openInference.Count > 0)
        {
            output = new JsonArray([.. openInference.Values.Select(d =>
            {
                var document = new JsonObject();
                foreach (var (key, value) in d)
                {
                    document[key.StartsWith("document.", StringComparison.Ordinal) ? key["document.".Length..] : key] =
                        key.EndsWith("metadata", StringComparison.Ordinal) ? OtlpAttributes.ParseIfJson(value) : value?.DeepClone();
                }

                return (JsonNode?)document;
            })]);
        }

        var results = span.Events.Where(e => e.Name.EndsWith(".query.result", StringComparison.Ordinal)).ToList();
        if (output is null && results.Count > 0)
        {
            output = new JsonArray([.. results.Select(e =>
            {
                var prefix = e.Name + ".";
                var document = new JsonObject();
                foreach (var (key, value) in OtlpAttributes.ToObject(e.Attributes))
                {
                    document[key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key] = OtlpAttributes.ParseIfJson(value);
                }

                return (JsonNode?)document;
            })]);
        }

        var promptTokens = a.Count("gen_ai.usage.input_tokens") ?? a.Count("llm.token_count.prompt") ?? a.Count("llm.usage.prompt_tokens")
            ?? a.Count("ai.usage.tokens");
        return new RetrievalFields(model, input, output, promptTokens, promptTokens is null ? null : 0);
    }

    private sealed record LlmFields(
        string? Model, JsonNode? Input, JsonNode? Output, JsonObject? Parameters, int? PromptTokens, int? CompletionTokens,
        string? NotReplayableReason);

    private static LlmFields MapLlm(OtlpSpan span, OtlpAttributes a)
    {
        var invocation = a.Json("llm.invocation_parameters") as JsonObject;
        var inputValue = a.Take("input.value");
        var outputValue = a.Take("output.value");
        a.Take("input.mime_type");
        a.Take("output.mime_type");
        var requestBody = OtlpAttributes.ParseIfJson(inputValue) as JsonObject;

        var model = a.String("gen_ai.request.model") ?? (string?)invocation?["model"] ?? (string?)requestBody?["model"]
            ?? a.String("llm.model_name") ?? a.String("ai.model.id") ?? a.PeekString("gen_ai.response.model");

        var messages = InputMessages(span, a, requestBody);
        var tools = Tools(a, invocation, requestBody);
        var parameters = Parameters(a, invocation);

        JsonNode? input = null;
        if (messages.Count > 0)
        {
            var toolChoice = invocation?["tool_choice"] ?? requestBody?["tool_choice"] ?? VercelToolChoice(a.Json("ai.prompt.toolChoice"));
            var responseFormat = invocation?["response_format"] ?? requestBody?["response_format"];
            if (tools.Count == 0 && toolChoice is null && responseFormat is null)
            {
                input = messages;
            }
            else
            {
                var body = new JsonObject { ["messages"] = messages };
                if (tools.Count > 0)
                {
                    body["tools"] = tools;
                }

                if (toolChoice is not null)
                {
                    body["tool_choice"] = toolChoice.DeepClone();
                }

                if (responseFormat is not null)
                {
                    body["response_format"] = responseFormat.DeepClone();
                }

                input = body;
            }
        }

        var answer = OutputMessage(span, a);
        JsonNode? output = answer is not null ? ChatMessageFormats.Output(answer) : OpenAiResponseOutput(outputValue);

        var promptTokens = a.Count("gen_ai.usage.input_tokens") ?? a.Count("gen_ai.usage.prompt_tokens") ?? a.Count("llm.token_count.prompt")
            ?? a.Count("llm.usage.prompt_tokens") ?? a.Count("ai.usage.inputTokens") ?? a.Count("ai.usage.promptTokens");
        var completionTokens = a.Count("gen_ai.usage.output_tokens") ?? a.Count("gen_ai.usage.completion_tokens") ?? a.Count("llm.token_count.completion")
            ?? a.Count("llm.usage.completion_tokens") ?? a.Count("ai.usage.outputTokens") ?? a.Count("ai.usage.completionTokens");

        string? reason = null;
        if (messages.Count == 0)
        {
            reason = OtlpAttributes.AsString(inputValue) == "__REDACTED__"
                ? "the instrumentation redacted the prompt (input.value is __REDACTED__), so the request cannot be re-sent."
                : "no prompt messages were recorded on this span (the instrumentation's content capture was off), so the request cannot be re-sent.";
            input = inputValue?.DeepClone();
            output ??= outputValue?.DeepClone();
        }

        return new LlmFields(model, input, output, parameters.Count > 0 ? parameters : null, promptTokens, completionTokens, reason);
    }

    /// <summary>An agent span's messages (<c>gen_ai.system_instructions</c> + <c>gen_ai.input.messages</c>), or null.</summary>
    private static JsonArray? AgentInput(OtlpAttributes a)
    {
        if (a.Json("gen_ai.input.messages") is not JsonArray genAi)
        {
            return null;
        }

        var messages = ChatMessageFormats.FromGenAiParts(genAi);
        if (ChatMessageFormats.SystemFromInstructions(a.Json("gen_ai.system_instructions")) is { } system
            && !messages.OfType<JsonObject>().Any(m => (string?)m["role"] == "system"))
        {
            messages.Insert(0, system);
        }

        return messages.Count > 0 ? messages : null;
    }

    private static JsonArray InputMessages(OtlpSpan span, OtlpAttributes a, JsonObject? requestBody)
    {
        var system = ChatMessageFormats.SystemFromInstructions(a.Json("gen_ai.system_instructions"));
        var messages = a.Json("gen_ai.input.messages") is JsonArray genAi ? ChatMessageFormats.FromGenAiParts(genAi) : [];
        if (messages.Count == 0)
        {
            messages = ChatMessageFormats.FromOpenInference(a.Indexed("llm.input_messages."));
        }

        if (messages.Count == 0)
        {
            messages = ChatMessageFormats.FromFlattened(a.Indexed("gen_ai.prompt."), "user");
        }

        if (messages.Count == 0 && a.Json("ai.prompt.messages") is JsonArray vercel)
        {
            messages = ChatMessageFormats.FromVercel(vercel);
        }

        if (messages.Count == 0)
        {
            messages = EventMessages(span);
        }

        if (messages.Count == 0 && requestBody?["messages"] is JsonArray recorded)
        {
            messages = (JsonArray)recorded.DeepClone();
        }

        if (system is not null && !messages.OfType<JsonObject>().Any(m => (string?)m["role"] == "system"))
        {
            messages.Insert(0, system);
        }

        return messages;
    }

    private static JsonObject? OutputMessage(OtlpSpan span, OtlpAttributes a)
    {
        if (a.Json("gen_ai.output.messages") is JsonArray genAi && ChatMessageFormats.FromGenAiParts(genAi) is [JsonObject first, ..])
        {
            return first;
        }

        if (ChatMessageFormats.FromOpenInference(a.Indexed("llm.output_messages.")) is [JsonObject oi, ..])
        {
            return oi;
        }

        if (ChatMessageFormats.FromFlattened(a.Indexed("gen_ai.completion."), "assistant") is [JsonObject completion, ..])
        {
            completion.Remove("finish_reason");
            return completion;
        }

        if (ChatMessageFormats.AssistantFromVercel(a.String("ai.response.text"), a.Json("ai.response.toolCalls")) is { } vercel)
        {
            return vercel;
        }

        var choice = span.Events.FirstOrDefault(e => e.Name == "gen_ai.choice");
        if (choice is not null)
        {
            var fields = OtlpAttributes.ToObject(choice.Attributes);
            var message = OtlpAttributes.ParseIfJson(fields["message"] ?? fields["gen_ai.event.content"]) as JsonObject;
            return message?["message"] as JsonObject ?? message;
        }

        return null;
    }

    /// <summary>GenAI message events: <c>gen_ai.{system,user,assistant,tool}.message</c>.</summary>
    private static JsonArray EventMessages(OtlpSpan span)
    {
        var messages = new JsonArray();
        foreach (var e in span.Events)
        {
            if (GenAiEvents.RoleOf(e.Name) is not { } role)
            {
                continue;
            }

            var fields = OtlpAttributes.ToObject(e.Attributes);
            messages.Add(GenAiEvents.Message(role, OtlpAttributes.ParseIfJson(fields["gen_ai.event.content"]) as JsonObject ?? fields));
        }

        return messages;
    }

    private static JsonArray Tools(OtlpAttributes a, JsonObject? invocation, JsonObject? requestBody)
    {
        IEnumerable<JsonNode?> definitions = a.Json("gen_ai.tool.definitions") is JsonArray genAi ? genAi : [];
        var openInference = a.Indexed("llm.tools.");
        if (!definitions.Any() && openInference.Count > 0)
        {
            definitions = openInference.Values.Select(t => OtlpAttributes.ParseIfJson(t.GetValueOrDefault("tool.json_schema")));
        }

        var functions = a.Indexed("llm.request.functions.");
        if (!definitions.Any() && functions.Count > 0)
        {
            definitions = functions.Values.Select(f => (JsonNode?)new JsonObject
            {
                ["name"] = f.GetValueOrDefault("name")?.DeepClone(),
                ["description"] = f.GetValueOrDefault("description")?.DeepClone(),
                ["parameters"] = OtlpAttributes.ParseIfJson(f.GetValueOrDefault("parameters")),
            });
        }

        if (!definitions.Any() && a.Json("ai.prompt.tools") is JsonArray vercel)
        {
            definitions = vercel.Select(OtlpAttributes.ParseIfJson);
        }

        if (!definitions.Any() && (invocation?["tools"] ?? requestBody?["tools"]) is JsonArray recorded)
        {
            definitions = recorded;
        }

        return new JsonArray([.. definitions.Select(ChatMessageFormats.ToolDefinition).OfType<JsonObject>()]);
    }

    private static JsonObject Parameters(OtlpAttributes a, JsonObject? invocation)
    {
        var parameters = new JsonObject();
        foreach (var (name, value) in invocation ?? [])
        {
            if (!StructuralKeys.Contains(name))
            {
                parameters[name] = value?.DeepClone();
            }
        }

        foreach (var (attribute, parameter) in GenAiParameters)
        {
            if (a.Take(attribute) is { } value && !parameters.ContainsKey(parameter))
            {
                parameters[parameter] = OtlpAttributes.ParseIfJson(value);
            }
        }

        if (a.Take("llm.temperature") is { } temperature && !parameters.ContainsKey("temperature"))
        {
            parameters["temperature"] = temperature.DeepClone();
        }

        return parameters;
    }

    /// <summary>The Vercel AI SDK's <c>{type: "auto" | "none" | "required" | "tool", toolName}</c> as OpenAI's tool_choice.</summary>
    private static JsonNode? VercelToolChoice(JsonNode? choice) => choice switch
    {
        JsonObject o when (string?)o["type"] == "tool" => new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = (string?)o["toolName"] },
        },
        JsonObject o => (string?)o["type"],
        JsonValue v => v.DeepClone(),
        _ => null,
    };

    /// <summary>An OpenAI response body recorded as <c>output.value</c>: its first choice's message.</summary>
    private static JsonNode? OpenAiResponseOutput(JsonNode? outputValue) =>
        OtlpAttributes.ParseIfJson(outputValue) is JsonObject response && response["choices"]?[0]?["message"] is JsonObject message
            ? ChatMessageFormats.Output((JsonObject)message.DeepClone())
            : null;

    /// <summary><c>input.value</c> / <c>output.value</c> (OpenInference, also set by hand): JSON when it is JSON, else text.</summary>
    private static JsonNode? Value(OtlpAttributes a, string name)
    {
        var value = a.Take($"{name}.value");
        a.Take($"{name}.mime_type");
        return OtlpAttributes.ParseIfJson(value);
    }

    public static string Hex(Google.Protobuf.ByteString id) => Convert.ToHexStringLower(id.Span);

    public static DateTimeOffset? Time(ulong unixNanos) =>
        unixNanos == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks((long)(unixNanos / 100));
}
