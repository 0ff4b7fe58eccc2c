using System.Text;
using System.Text.Json;

namespace TraceReplay.Grains.Evaluation.Evaluators;

/// <summary>A compact text rendering of a trace's span tree, for judges: one line per span, children indented.</summary>
public static class SpanTree
{
    public static string Render(TraceData trace)
    {
        var ids = trace.Spans.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var children = trace.Spans
            .GroupBy(s => s.ParentSpanId is { } p && ids.Contains(p) ? p : "")
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.StartTime ?? DateTimeOffset.MaxValue).ToList(), StringComparer.Ordinal);
        var text = new StringBuilder();
        var step = 0;
        void Write(SpanData span, int depth)
        {
            text.Append(new string(' ', depth * 2)).Append(++step).Append(". ").Append(span.Type.ToString().ToUpperInvariant()).Append(' ').Append(span.Name);
            var tools = ToolNames(span.OutputJson);
            if (tools.Count > 0)
            {
                text.Append(" → calls ").Append(string.Join(", ", tools));
            }

            text.AppendLine();
            foreach (var child in children.GetValueOrDefault(span.Id) ?? [])
            {
                Write(child, depth + 1);
            }
        }

        foreach (var root in children.GetValueOrDefault("") ?? [])
        {
            Write(root, 0);
        }

        return text.ToString().TrimEnd();
    }

    private static List<string> ToolNames(string? outputJson)
    {
        if (!TextOf.TryParseJson(outputJson, out var document))
        {
            return [];
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return [.. calls.EnumerateArray()
                .Where(c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object && f.TryGetProperty("name", out _))
                .Select(c => c.GetProperty("function").GetProperty("name").ToString())];
        }
    }
}
