using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceReplay.Api.Otlp.Proto;

namespace TraceReplay.Api.Otlp;

/// <summary>
/// A span's attributes as JSON values, remembering which ones the mapping used: the rest become span metadata, so
/// nothing an instrumentation recorded is lost.
/// </summary>
public sealed class OtlpAttributes
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public OtlpAttributes(IEnumerable<KeyValue> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (!_values.ContainsKey(attribute.Key))
            {
                _order.Add(attribute.Key);
            }

            _values[attribute.Key] = ToJson(attribute.Value);
        }
    }

    /// <summary>A value without marking it used (kind attributes stay in the metadata).</summary>
    public JsonNode? Peek(string key) => _values.GetValueOrDefault(key);

    public string? PeekString(string key) => AsString(Peek(key));

    public bool Has(string key) => _values.ContainsKey(key);

    public bool HasPrefix(string prefix) => _order.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The value, marked used.</summary>
    public JsonNode? Take(string key)
    {
        if (!_values.TryGetValue(key, out var value))
        {
            return null;
        }

        _used.Add(key);
        return value;
    }

    public string? String(string key) => AsString(Take(key));

    public double? Number(string key) => AsNumber(Take(key));

    public int? Count(string key) => Number(key) is { } n && n >= 0 && n <= int.MaxValue && n == Math.Floor(n) ? (int)n : null;

    /// <summary>A value that an instrumentation serialised to a JSON string (messages, tools, parameters), parsed.</summary>
    public JsonNode? Json(string key) => ParseIfJson(Take(key));

    /// <summary>
    /// Flattened lists such as <c>llm.input_messages.0.message.role</c>: by index, the rest of each key (after
    /// <c>prefix + N + "."</c>) to its value. All of them are marked used.
    /// </summary>
    public SortedDictionary<int, Dictionary<string, JsonNode?>> Indexed(string prefix)
    {
        var result = new SortedDictionary<int, Dictionary<string, JsonNode?>>();
        foreach (var key in _order.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var rest = key.AsSpan(prefix.Length);
            var dot = rest.IndexOf('.');
            if (!int.TryParse(dot < 0 ? rest : rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                continue;
            }

            if (!result.TryGetValue(index, out var fields))
            {
                result[index] = fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            }

            fields[dot < 0 ? string.Empty : rest[(dot + 1)..].ToString()] = _values[key];
            _used.Add(key);
        }

        return result;
    }

    /// <summary>The attributes no mapping used, as a JSON object in the order they came.</summary>
    public JsonObject Unused()
    {
        var result = new JsonObject();
        foreach (var key in _order.Where(k => !_used.Contains(k)))
        {
            result[key] = _values[key]?.DeepClone();
        }

        return result;
    }

    public static JsonObject ToObject(IEnumerable<KeyValue> attributes)
    {
        var result = new JsonObject();
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = ToJson(attribute.Value);
        }

        return result;
    }

    public static JsonNode? ToJson(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => JsonValue.Create(value.StringValue),
        AnyValue.ValueOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        AnyValue.ValueOneofCase.IntValue => JsonValue.Create(value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => double.IsFinite(value.DoubleValue)
            ? JsonValue.Create(value.DoubleValue)
            : JsonValue.Create(value.DoubleValue.ToString(CultureInfo.InvariantCulture)),
        AnyValue.ValueOneofCase.ArrayValue => new JsonArray([.. value.ArrayValue.Values.Select(ToJson)]),
        AnyValue.ValueOneofCase.KvlistValue => ToObject(value.KvlistValue.Values),
        AnyValue.ValueOneofCase.BytesValue => JsonValue.Create(value.BytesValue.ToBase64()),
        _ => null,
    };

    public static string? AsString(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    public static double? AsNumber(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
        JsonValue v when v.GetValueKind() == JsonValueKind.String
            && double.TryParse(v.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    /// <summary>A string holding a JSON object or array, parsed; other values as they are.</summary>
    public static JsonNode? ParseIfJson(JsonNode? node)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var text = v.GetValue<string>().TrimStart();
            if (text.StartsWith('{') || text.StartsWith('['))
            {
                try
                {
                    return JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    return node;
                }
            }
        }

        return node?.DeepClone();
    }
}
