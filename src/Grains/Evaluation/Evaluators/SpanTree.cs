using System.Text;
using TraceReplay.Grains.Llm;

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

    private static List<string> ToolNames(string? outputJson) =>
        [.. ChatPayload.ToolCalls(ChatPayload.ParseUnwrapped(outputJson)).Select(c => c.Name).Where(n => n.Length > 0)];
}
