using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceReplay.Grains.Comparison;

/// <summary>One place where two JSON values differ: a JSONPath-like location and the value on each side (null when absent).</summary>
public sealed record JsonDifference(string Path, JsonNode? A, JsonNode? B);

/// <summary>
/// Compares JSON as structures: object key order and whitespace do not matter, array order does, and numbers are
/// equal when their values are (1 = 1.0).
/// </summary>
public static class JsonStructure
{
    public static bool AreEqual(JsonNode? a, JsonNode? b) => Differences(a, b, limit: 1).Count == 0;

    /// <summary>Where <paramref name="a"/> and <paramref name="b"/> differ, outermost first, at most <paramref name="limit"/>.</summary>
    public static IReadOnlyList<JsonDifference> Differences(JsonNode? a, JsonNode? b, int limit = 50)
    {
        var differences = new List<JsonDifference>();
        Walk("$", a, b, differences, limit);
        return differences;
    }

    private static void Walk(string path, JsonNode? a, JsonNode? b, List<JsonDifference> differences, int limit)
    {
        if (differences.Count >= limit)
        {
            return;
        }

        switch (a, b)
        {
            case (null, null):
                return;
            case (JsonObject x, JsonObject y):
                foreach (var key in x.Select(p => p.Key).Union(y.Select(p => p.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    var inX = x.TryGetPropertyValue(key, out var vx);
                    var inY = y.TryGetPropertyValue(key, out var vy);
                    if (inX != inY)
                    {
                        differences.Add(new JsonDifference(Child(path, key), vx?.DeepClone(), vy?.DeepClone()));
                        if (differences.Count >= limit)
                        {
                            return;
                        }
                    }
                    else
                    {
                        Walk(Child(path, key), vx, vy, differences, limit);
                    }
                }

                return;
            case (JsonArray x, JsonArray y):
                for (var i = 0; i < Math.Max(x.Count, y.Count) && differences.Count < limit; i++)
                {
                    var itemPath = $"{path}[{i}]";
                    if (i >= x.Count || i >= y.Count)
                    {
                        differences.Add(new JsonDifference(itemPath, i < x.Count ? x[i]?.DeepClone() : null, i < y.Count ? y[i]?.DeepClone() : null));
                    }
                    else
                    {
                        Walk(itemPath, x[i], y[i], differences, limit);
                    }
                }

                return;
            case (JsonValue x, JsonValue y) when ScalarsEqual(x, y):
                return;
            default:
                differences.Add(new JsonDifference(path, a?.DeepClone(), b?.DeepClone()));
                return;
        }
    }

    private static bool ScalarsEqual(JsonValue x, JsonValue y)
    {
        var kind = x.GetValueKind();
        if (kind != y.GetValueKind())
        {
            return false;
        }

        return kind switch
        {
            JsonValueKind.Number => NumberText(x) == NumberText(y),
            JsonValueKind.String => x.GetValue<string>() == y.GetValue<string>(),
            _ => true, // true, false, null: the kind is the value
        };
    }

    private static string NumberText(JsonValue value)
    {
        var text = value.ToJsonString();
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? (number / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture)
            : text;
    }

    private static string Child(string path, string key) =>
        key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && key.Length > 0 ? $"{path}.{key}" : $"{path}[{JsonSerializer.Serialize(key)}]";
}
