using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>JSON_SCHEMA: the output is JSON and conforms to config.schema.</summary>
public sealed class JsonSchemaEvaluator : Evaluator<JsonSchemaEvaluator.Settings>
{
    public sealed record Settings(JsonSchema Schema);

    public override string Type => "JSON_SCHEMA";

    protected override Settings Parse(ConfigReader config)
    {
        var schema = config.Object("schema", required: true)!.Value;
        return new Settings(SchemaCheck.Build(schema, "config.schema"));
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        if (!ChatPayload.TryParseDocument(input.Output, out var document))
        {
            return Task.FromResult(EvaluationOutcome.Binary(false, "The output is not JSON."));
        }

        using (document)
        {
            var errors = SchemaCheck.Errors(s.Schema, document.RootElement);
            return Task.FromResult(EvaluationOutcome.Binary(errors.Count == 0, errors.Count == 0
                ? "The output conforms to the schema."
                : $"The output does not conform to the schema: {string.Join("; ", errors.Take(5))}."));
        }
    }
}

/// <summary>
/// TOOL_CALL_VALIDATION: every tool call of the trace's LLM spans names a known tool and its arguments match that
/// tool's JSON schema. Known tools: config.allowed_functions, else the tools declared in the span's request.
/// Schemas: config.schema[name], else the declared tool's parameters. config.required_params adds required names.
/// </summary>
public sealed class ToolCallValidationEvaluator : Evaluator<ToolCallValidationEvaluator.Settings>
{
    public sealed record Settings(
        IReadOnlyList<string>? Allowed,
        IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredParams,
        IReadOnlyDictionary<string, JsonSchema> Schemas);

    public override string Type => "TOOL_CALL_VALIDATION";

    protected override Settings Parse(ConfigReader config)
    {
        var allowed = config.StringList("allowed_functions");
        var required = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (config.Object("required_params") is { } requiredParams)
        {
            var reader = new ConfigReader(requiredParams);
            foreach (var property in requiredParams.EnumerateObject())
            {
                try
                {
                    required[property.Name] = reader.StringList(property.Name, required: true)!;
                }
                catch (ConfigException)
                {
                    throw new ConfigException($"config.required_params.{property.Name} must be an array of parameter names.");
                }
            }
        }

        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        if (config.Object("schema") is { } schemaMap)
        {
            foreach (var property in schemaMap.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new ConfigException($"config.schema.{property.Name} must be a JSON Schema object.");
                }

                schemas[property.Name] = SchemaCheck.Build(property.Value, $"config.schema.{property.Name}");
            }
        }

        return new Settings(allowed, required, schemas);
    }

    protected override Task<EvaluationOutcome> EvaluateAsync(EvaluationInput input, Settings s, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var count = 0;
        foreach (var span in input.Trace.Spans.Where(x => x.Type == SpanType.Llm))
        {
            var declared = DeclaredTools(span.InputJson);
            foreach (var (name, arguments) in ToolCalls(span.OutputJson))
            {
                count++;
                var where = $"span {span.Id}: {name}";
                var known = s.Allowed is not null ? s.Allowed.Contains(name, StringComparer.Ordinal) : declared.ContainsKey(name);
                if (!known)
                {
                    problems.Add($"{where} is not a known tool");
                    continue;
                }

                if (arguments is not JsonObject args)
                {
                    problems.Add($"{where} has arguments that are not a JSON object");
                    continue;
                }

                if (s.RequiredParams.TryGetValue(name, out var requiredNames))
                {
                    problems.AddRange(requiredNames.Where(p => !args.ContainsKey(p)).Select(p => $"{where} lacks required parameter '{p}'"));
                }

                var schema = s.Schemas.GetValueOrDefault(name) ?? (declared.TryGetValue(name, out var parameters) && parameters is { } p2 ? SchemaCheck.TryBuild(p2) : null);
                if (schema is not null)
                {
                    problems.AddRange(SchemaCheck.Errors(schema, JsonSerializer.SerializeToElement(args)).Select(e => $"{where}: {e}"));
                }
            }
        }

        if (count == 0)
        {
            return Task.FromResult(EvaluationOutcome.Binary(true, "The trace makes no tool calls."));
        }

        return Task.FromResult(EvaluationOutcome.Binary(problems.Count == 0, problems.Count == 0
            ? $"All {count} tool calls name known tools with valid arguments."
            : $"{problems.Count} problem(s) in {count} tool calls: {string.Join("; ", problems.Take(5))}."));
    }

    /// <summary>The tools a request declared: name → parameters schema (null when it has none).</summary>
    private static Dictionary<string, JsonElement?> DeclaredTools(string? requestJson)
    {
        var tools = new Dictionary<string, JsonElement?>(StringComparer.Ordinal);
        if (!ChatPayload.TryParseDocument(requestJson, out var document))
        {
            return tools;
        }

        using (document)
        {
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("tools", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var tool in list.EnumerateArray())
                {
                    var function = tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("function", out var f) ? f : tool;
                    if (function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    {
                        tools[name.GetString()!] = function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                            ? parameters.Clone()
                            : null;
                    }
                }
            }
        }

        return tools;
    }

    /// <summary>
    /// Tool calls of an assistant message as <see cref="ChatPayload"/> reads them (missing arguments are an empty
    /// object), or of a generic {name, params} object.
    /// </summary>
    private static List<(string Name, JsonNode? Arguments)> ToolCalls(string? outputJson)
    {
        var output = ChatPayload.ParseUnwrapped(outputJson);
        if (output is JsonObject generic && !ChatPayload.IsMessage(generic) && generic["name"] is JsonValue name
            && name.GetValueKind() == JsonValueKind.String && generic.ContainsKey("params"))
        {
            return [(name.GetValue<string>(), generic["params"]?.DeepClone())];
        }

        return [.. ChatPayload.ToolCalls(output).Where(c => c.Name.Length > 0).Select(c => (c.Name, c.Arguments ?? new JsonObject()))];
    }
}

/// <summary>Building and applying JSON Schemas with JsonSchema.Net; each schema gets its own registry, so nothing accumulates.</summary>
internal static class SchemaCheck
{
    public static JsonSchema Build(JsonElement schema, string field)
    {
        try
        {
            return JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException or RefResolutionException)
        {
            throw new ConfigException($"{field} is not a valid JSON Schema: {ex.Message}");
        }
    }

    public static JsonSchema? TryBuild(JsonElement schema)
    {
        try
        {
            return Build(schema, "schema");
        }
        catch (ConfigException)
        {
            return null;
        }
    }

    public static List<string> Errors(JsonSchema schema, JsonElement instance)
    {
        var results = schema.Evaluate(instance, new Json.Schema.EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }

        var errors = (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{Location(d.InstanceLocation.ToString())} {e.Value}"))
            .Distinct()
            .ToList();
        return errors.Count > 0 ? errors : ["the value does not match the schema"];
    }

    private static string Location(string pointer) => pointer.Length == 0 ? "(root)" : pointer;
}
