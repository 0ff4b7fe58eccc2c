using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Comparison;

/// <summary>How one tool call differs: by position in the message; a side without a call at that position is null.</summary>
public sealed record ToolCallDifference(
    int Index,
    string? NameA,
    string? NameB,
    IReadOnlyList<JsonDifference> ArgumentDifferences);

/// <summary>
/// The tool decisions of two LLM outputs compared as structures: same tool names in the same order with JSON-equal
/// arguments (argument key order and whitespace do not matter; call ids are ignored).
/// </summary>
public sealed record ToolCallComparison(
    bool Same,
    IReadOnlyList<ToolCall> A,
    IReadOnlyList<ToolCall> B,
    IReadOnlyList<ToolCallDifference> Differences)
{
    public static ToolCallComparison Of(IReadOnlyList<ToolCall> a, IReadOnlyList<ToolCall> b)
    {
        var differences = new List<ToolCallDifference>();
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var x = i < a.Count ? a[i] : null;
            var y = i < b.Count ? b[i] : null;
            var arguments = JsonStructure.Differences(x?.Arguments, y?.Arguments);
            if (x?.Name != y?.Name || arguments.Count > 0)
            {
                differences.Add(new ToolCallDifference(i, x?.Name, y?.Name, arguments));
            }
        }

        return new ToolCallComparison(differences.Count == 0, a, b, differences);
    }
}
