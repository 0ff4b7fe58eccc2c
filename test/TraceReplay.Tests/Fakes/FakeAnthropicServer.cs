using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TraceReplay.Tests.Fakes;

/// <summary>One request the Anthropic fake received: its body, its key (x-api-key or bearer), anthropic-version header, and the error it answered (if any).</summary>
public sealed record FakeAnthropicRequest(JsonObject Body, string? ApiKey, string? Version, string? ValidationError);

/// <summary>
/// A scripted Anthropic reply. Status 200 answers a Messages response with <see cref="Text"/> and <see cref="ToolUses"/>
/// (<c>(id, name, input JSON)</c>), or a default answer; other statuses answer Anthropic's error body with
/// <see cref="Text"/> as its message.
/// </summary>
public sealed record FakeAnthropicReply(
    int Status = 200,
    string? Text = null,
    IReadOnlyList<(string Id, string Name, string InputJson)>? ToolUses = null,
    int? RetryAfterSeconds = null,
    TimeSpan? Delay = null);

/// <summary>
/// A fake Anthropic Messages API on Kestrel (POST /v1/messages on a free loopback port) that validates requests the way
/// the real API does — max_tokens required, known top-level fields only, system only at the top level, user/assistant
/// turns alternating from a user turn, every tool_use answered by a tool_result in the next user turn, tools with an
/// input_schema, temperature within 0–1 — and answers 400 invalid_request_error otherwise.
/// </summary>
public sealed class FakeAnthropicServer : IAsyncDisposable
{
    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "model", "messages", "max_tokens", "system", "tools", "tool_choice", "temperature", "top_p", "top_k",
        "stop_sequences", "metadata", "stream", "thinking", "service_tier",
    };

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<FakeAnthropicRequest> _requests = [];
    private long _ids;
    private Func<JsonObject, FakeAnthropicReply?>? _responder;

    private FakeAnthropicServer(WebApplication app)
    {
        _app = app;
        _app.MapPost("/v1/messages", HandleAsync);
    }

    /// <summary>The API root the SDK appends /v1/messages to, e.g. http://127.0.0.1:5123.</summary>
    public string BaseUrl { get; private set; } = "";

    public Func<JsonObject, FakeAnthropicReply?>? Responder
    {
        get => Volatile.Read(ref _responder);
        set => Volatile.Write(ref _responder, value);
    }

    public IReadOnlyList<FakeAnthropicRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeAnthropicServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new FakeAnthropicServer(builder.Build());
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    public void Reset()
    {
        lock (_lock)
        {
            _requests.Clear();
        }

        Responder = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Why the real API would refuse <paramref name="body"/>, or null when it is valid.</summary>
    public static string? Validate(JsonObject body)
    {
        foreach (var (name, _) in body)
        {
            if (!KnownFields.Contains(name))
            {
                return $"{name}: Extra inputs are not permitted";
            }
        }

        if (body["model"] is not JsonValue model || model.GetValueKind() != JsonValueKind.String)
        {
            return "model: Field required";
        }

        if (body["max_tokens"] is not JsonValue max || max.GetValueKind() != JsonValueKind.Number || Number(max) < 1)
        {
            return "max_tokens: Field required";
        }

        if (body["temperature"] is JsonValue t && (Number(t) < 0 || Number(t) > 1))
        {
            return "temperature: Input should be less than or equal to 1";
        }

        if (body["system"] is { } system && system.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Array))
        {
            return "system: Input should be a valid string or list of text blocks";
        }

        foreach (var tool in body["tools"] as JsonArray ?? [])
        {
            if (tool is not JsonObject t2 || t2["name"] is null || t2["input_schema"] is not JsonObject || t2.Any(p => p.Key is not ("name" or "description" or "input_schema" or "cache_control" or "type")))
            {
                return "tools: each tool needs name and input_schema, and nothing else";
            }
        }

        if (body["tool_choice"] is { } choice && (choice is not JsonObject c || (string?)c["type"] is not ("auto" or "any" or "tool" or "none")))
        {
            return "tool_choice: Input should be an object with type auto, any, tool or none";
        }

        if (body["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return "messages: at least one message is required";
        }

        HashSet<string>? pendingToolUses = null;
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject message)
            {
                return $"messages.{i}: Input should be an object";
            }

            var role = (string?)message["role"];
            if (role is not ("user" or "assistant"))
            {
                return $"messages.{i}.role: Input should be 'user' or 'assistant'";
            }

            if (role != (i % 2 == 0 ? "user" : "assistant"))
            {
                return $"messages: roles must alternate between \"user\" and \"assistant\", starting with \"user\" (message {i})";
            }

            if (message.Any(p => p.Key is not ("role" or "content")))
            {
                return $"messages.{i}: Extra inputs are not permitted";
            }

            var blocks = message["content"] switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length == 0 ? null : new List<JsonObject>(),
                JsonArray array when array.Count > 0 && array.All(b => b is JsonObject) => array.OfType<JsonObject>().ToList(),
                _ => null,
            };
            if (blocks is null)
            {
                return $"messages.{i}.content: must be a non-empty string or a non-empty list of blocks";
            }

            var toolResults = new HashSet<string>(StringComparer.Ordinal);
            var toolUses = new HashSet<string>(StringComparer.Ordinal);
            foreach (var block in blocks)
            {
                switch ((string?)block["type"])
                {
                    case "text" when block["text"] is JsonValue text && text.GetValue<string>().Length > 0:
                        break;
                    case "image" when role == "user" && block["source"] is JsonObject:
                        break;
                    case "tool_use" when role == "assistant" && block["id"] is JsonValue && block["name"] is JsonValue && block["input"] is JsonObject:
                        toolUses.Add((string)block["id"]!);
                        break;
                    case "tool_result" when role == "user" && block["tool_use_id"] is JsonValue:
                        toolResults.Add((string)block["tool_use_id"]!);
                        break;
                    default:
                        return $"messages.{i}.content: invalid block {block.ToJsonString()}";
                }
            }

            if (pendingToolUses is not null)
            {
                var missing = pendingToolUses.Where(id => !toolResults.Contains(id)).ToList();
                if (missing.Count > 0)
                {
                    return $"messages.{i}: tool_use ids were found without tool_result blocks immediately after: {string.Join(", ", missing)}";
                }
            }

            var unexpected = toolResults.Where(id => pendingToolUses?.Contains(id) != true).ToList();
            if (unexpected.Count > 0)
            {
                return $"messages.{i}: unexpected tool_use_id found in tool_result blocks: {string.Join(", ", unexpected)}";
            }

            pendingToolUses = toolUses.Count > 0 ? toolUses : null;
        }

        return pendingToolUses is not null ? "messages: the last assistant turn has tool_use blocks without tool results" : null;
    }

    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    private async Task HandleAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject ?? [];
        // The SDK authenticates with x-api-key or, in current versions, a bearer token; the real API takes either.
        var bearer = context.Request.Headers.Authorization.FirstOrDefault();
        var apiKey = context.Request.Headers["x-api-key"].FirstOrDefault()
            ?? (bearer?.StartsWith("Bearer ", StringComparison.Ordinal) == true ? bearer["Bearer ".Length..] : null);
        var version = context.Request.Headers["anthropic-version"].FirstOrDefault();
        var error = apiKey is null ? "missing x-api-key or bearer token" : version is null ? "missing anthropic-version header" : Validate(body);
        lock (_lock)
        {
            _requests.Add(new FakeAnthropicRequest(body, apiKey, version, error));
        }

        context.Response.ContentType = "application/json";
        if (error is not null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync(Error("invalid_request_error", error).ToJsonString(), context.RequestAborted);
            return;
        }

        var reply = Responder?.Invoke(body) ?? new FakeAnthropicReply();
        if (reply.Delay is { } delay)
        {
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // The client gave up (an attempt timeout).
            }
        }

        context.Response.StatusCode = reply.Status;
        if (reply.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (reply.Status != StatusCodes.Status200OK)
        {
            var type = reply.Status switch { 429 => "rate_limit_error", 529 => "overloaded_error", 401 => "authentication_error", _ => "api_error" };
            await context.Response.WriteAsync(Error(type, reply.Text ?? "error").ToJsonString(), context.RequestAborted);
            return;
        }

        var model = (string?)body["model"] ?? "unknown";
        var content = new JsonArray();
        var text = reply.Text ?? (reply.ToolUses is null ? $"fake claude answer from {model}" : null);
        if (text is not null)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        }

        foreach (var (id, name, input) in reply.ToolUses ?? [])
        {
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = id, ["name"] = name, ["input"] = JsonNode.Parse(input) });
        }

        var response = new JsonObject
        {
            ["id"] = $"msg_fake_{Interlocked.Increment(ref _ids)}",
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = content,
            ["stop_reason"] = reply.ToolUses is null ? "end_turn" : "tool_use",
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = 100, ["output_tokens"] = 20 },
        };
        await context.Response.WriteAsync(response.ToJsonString(), context.RequestAborted);
    }

    private static JsonObject Error(string type, string message) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
    };
}
