using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Llm.Simulation;

/// <summary>
/// Builds a value that fits a JSON schema: constants and enums as given, the first alternative of a combinator, seeded
/// numbers and booleans, and the answer's sentences in turn for every string.
/// </summary>
internal static class SchemaSampler
{
    private const int MaxSchemaDepth = 8;

    public static JsonNode? Sample(JsonElement schema, List<string> sentences, ref SplitMix64 random)
    {
        var next = 0;
        return FromSchema(schema, sentences, ref next, ref random, 0);
    }

    private static JsonNode? FromSchema(JsonElement schema, List<string> sentences, ref int next, ref SplitMix64 random, int depth)
    {
        if (schema.ValueKind is not JsonValueKind.Object || depth > MaxSchemaDepth)
        {
            return NextSentence(sentences, ref next);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return JsonNode.Parse(constant.GetRawText());
        }

        if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind is JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            return JsonNode.Parse(choices[random.Next(choices.GetArrayLength())].GetRawText());
        }

        foreach (var combinator in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var alternatives)
                && alternatives.ValueKind is JsonValueKind.Array
                && alternatives.GetArrayLength() > 0)
            {
                return FromSchema(alternatives[0], sentences, ref next, ref random, depth + 1);
            }
        }

        switch (SchemaType(schema))
        {
            case "object":
                var result = new JsonObject();
                if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind is JsonValueKind.Object)
                {
                    foreach (var property in properties.EnumerateObject())
                    {
                        result[property.Name] = FromSchema(property.Value, sentences, ref next, ref random, depth + 1);
                    }
                }

                return result;
            case "array":
                var items = new JsonArray();
                var itemSchema = schema.TryGetProperty("items", out var i) ? i : default;
                var count = 1 + random.Next(2);
                for (var n = 0; n < count; n++)
                {
                    items.Add(FromSchema(itemSchema, sentences, ref next, ref random, depth + 1));
                }

                return items;
            case "integer":
                var low = schema.TryGetProperty("minimum", out var min) && min.TryGetInt32(out var mi) ? mi : 1;
                var high = schema.TryGetProperty("maximum", out var max) && max.TryGetInt32(out var ma) ? ma : Math.Max(low, 100);
                return high <= low ? low : low + random.Next(high - low + 1);
            case "number":
                return Math.Round(random.NextDouble(), 2);
            case "boolean":
                return random.Next(2) == 1;
            case "null":
                return null;
            default:
                return NextSentence(sentences, ref next);
        }
    }

    private static string? SchemaType(JsonElement schema)
    {
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind is JsonValueKind.String)
            {
                return type.GetString();
            }

            if (type.ValueKind is JsonValueKind.Array)
            {
                var named = type.EnumerateArray().Where(t => t.ValueKind is JsonValueKind.String).Select(t => t.GetString()).ToList();
                return named.FirstOrDefault(t => t != "null") ?? named.FirstOrDefault();
            }
        }

        return schema.TryGetProperty("properties", out _) ? "object" : "string";
    }

    private static string NextSentence(List<string> sentences, ref int next) => sentences[next++ % sentences.Count];
}
