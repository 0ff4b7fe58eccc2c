namespace TraceReplay.Grains.Comparison;

/// <summary>How the spans of two traces were paired.</summary>
public enum AlignmentMethod
{
    /// <summary>B replays A (or A replays B): every replayed span names the span it replays.</summary>
    Lineage = 0,

    /// <summary>Unrelated traces: matched by position in the tree and (name, type).</summary>
    Structure = 1,
}

/// <summary>Two spans paired, or one span with no partner (added in B, or removed from A). Depth is 0 for roots.</summary>
public sealed record AlignedSpan(SpanData? A, SpanData? B, int Depth);

/// <summary>Pairs the spans of two traces, in depth-first order of the tree (A's tree where there is a pair or removal).</summary>
public static class SpanAligner
{
    public static (AlignmentMethod Method, IReadOnlyList<AlignedSpan> Spans) Align(TraceData a, TraceData b)
    {
        if (b.ReplayOf?.TraceId == a.Id)
        {
            return (AlignmentMethod.Lineage, ByLineage(a.Spans, b.Spans));
        }

        if (a.ReplayOf?.TraceId == b.Id)
        {
            // A is the replay: pair the same way and swap the sides back.
            var pairs = ByLineage(b.Spans, a.Spans);
            return (AlignmentMethod.Lineage, [.. pairs.Select(p => new AlignedSpan(p.B, p.A, p.Depth))]);
        }

        return (AlignmentMethod.Structure, ByStructure(a.Spans, b.Spans));
    }

    /// <summary>
    /// Replay spans pair with the span their <see cref="SpanData.ReplayOfSpanId"/> names, exactly; spans on either side
    /// without a partner are removed or added. Order follows the original's tree, then the replay's leftovers.
    /// </summary>
    private static List<AlignedSpan> ByLineage(IReadOnlyList<SpanData> originals, IReadOnlyList<SpanData> replays)
    {
        var originalIds = originals.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var partner = new Dictionary<string, SpanData>(StringComparer.Ordinal);
        foreach (var span in replays)
        {
            if (span.ReplayOfSpanId is { } source && originalIds.Contains(source))
            {
                partner.TryAdd(source, span);
            }
        }

        var result = new List<AlignedSpan>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (span, depth) in DepthFirst(originals))
        {
            if (partner.TryGetValue(span.Id, out var match))
            {
                used.Add(match.Id);
                result.Add(new AlignedSpan(span, match, depth));
            }
            else
            {
                result.Add(new AlignedSpan(span, null, depth));
            }
        }

        foreach (var (span, depth) in DepthFirst(replays))
        {
            if (!used.Contains(span.Id))
            {
                result.Add(new AlignedSpan(null, span, depth));
            }
        }

        return result;
    }

    /// <summary>
    /// Roots first, then the children of each matched pair, recursively: siblings ordered by start time are matched by
    /// the longest common subsequence of (name, type). An unmatched span and its whole subtree are removed or added.
    /// </summary>
    private static List<AlignedSpan> ByStructure(IReadOnlyList<SpanData> a, IReadOnlyList<SpanData> b)
    {
        var treeA = Tree.Of(a);
        var treeB = Tree.Of(b);
        var result = new List<AlignedSpan>();
        MatchSiblings(treeA, treeA.Roots, treeB, treeB.Roots, 0, result);
        return result;
    }

    private static void MatchSiblings(Tree treeA, IReadOnlyList<SpanData> a, Tree treeB, IReadOnlyList<SpanData> b, int depth, List<AlignedSpan> result)
    {
        var matches = LongestCommonSubsequence(a, b);
        int i = 0, j = 0;
        foreach (var (mi, mj) in matches.Append((a.Count, b.Count)))
        {
            for (; i < mi; i++)
            {
                Subtree(treeA, a[i], depth, result, removed: true);
            }

            for (; j < mj; j++)
            {
                Subtree(treeB, b[j], depth, result, removed: false);
            }

            if (mi < a.Count && mj < b.Count)
            {
                result.Add(new AlignedSpan(a[mi], b[mj], depth));
                MatchSiblings(treeA, treeA.ChildrenOf(a[mi]), treeB, treeB.ChildrenOf(b[mj]), depth + 1, result);
                i = mi + 1;
                j = mj + 1;
            }
        }
    }

    private static void Subtree(Tree tree, SpanData span, int depth, List<AlignedSpan> result, bool removed)
    {
        result.Add(removed ? new AlignedSpan(span, null, depth) : new AlignedSpan(null, span, depth));
        foreach (var child in tree.ChildrenOf(span))
        {
            Subtree(tree, child, depth + 1, result, removed);
        }
    }

    /// <summary>Index pairs of a longest common subsequence of the two lists, keyed by (name, type), in order.</summary>
    internal static List<(int A, int B)> LongestCommonSubsequence(IReadOnlyList<SpanData> a, IReadOnlyList<SpanData> b)
    {
        var lengths = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                lengths[i, j] = SameKey(a[i], b[j]) ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }

        var pairs = new List<(int, int)>();
        for (int i = 0, j = 0; i < a.Count && j < b.Count;)
        {
            if (SameKey(a[i], b[j]))
            {
                pairs.Add((i++, j++));
            }
            else if (lengths[i + 1, j] >= lengths[i, j + 1])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return pairs;
    }

    private static bool SameKey(SpanData a, SpanData b) => a.Type == b.Type && string.Equals(a.Name, b.Name, StringComparison.Ordinal);

    private static IEnumerable<(SpanData Span, int Depth)> DepthFirst(IReadOnlyList<SpanData> spans)
    {
        var tree = Tree.Of(spans);
        var stack = new Stack<(SpanData, int)>(tree.Roots.Reverse().Select(r => (r, 0)));
        while (stack.Count > 0)
        {
            var (span, depth) = stack.Pop();
            yield return (span, depth);
            foreach (var child in tree.ChildrenOf(span).Reverse())
            {
                stack.Push((child, depth + 1));
            }
        }
    }

    /// <summary>
    /// A span tree with siblings ordered by start time (then recorded order). A span whose parent is missing is a root;
    /// so is every span of a parent cycle, so each span is visited exactly once.
    /// </summary>
    private sealed class Tree
    {
        private readonly Dictionary<string, List<SpanData>> _children = new(StringComparer.Ordinal);

        private Tree(IReadOnlyList<SpanData> roots) => Roots = roots;

        public IReadOnlyList<SpanData> Roots { get; }

        public IReadOnlyList<SpanData> ChildrenOf(SpanData span) => _children.TryGetValue(span.Id, out var children) ? children : [];

        public static Tree Of(IReadOnlyList<SpanData> spans)
        {
            var ids = spans.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var order = spans.Select((s, i) => (Span: s, Index: i))
                .OrderBy(x => x.Span.StartTime ?? DateTimeOffset.MaxValue)
                .ThenBy(x => x.Index)
                .Select(x => x.Span)
                .ToList();
            var reachable = ReachableFromRoots(spans, ids);
            var tree = new Tree([.. order.Where(s => !reachable.Contains(s.Id) || s.ParentSpanId is null || !ids.Contains(s.ParentSpanId))]);
            foreach (var span in order.Where(s => reachable.Contains(s.Id) && s.ParentSpanId is { } p && ids.Contains(p)))
            {
                if (!tree._children.TryGetValue(span.ParentSpanId!, out var list))
                {
                    tree._children[span.ParentSpanId!] = list = [];
                }

                list.Add(span);
            }

            return tree;
        }

        /// <summary>Spans whose parent chain ends at a root; the rest sit on or under a cycle.</summary>
        private static HashSet<string> ReachableFromRoots(IReadOnlyList<SpanData> spans, HashSet<string> ids)
        {
            var byParent = spans.Where(s => s.ParentSpanId is { } p && ids.Contains(p)).ToLookup(s => s.ParentSpanId!, StringComparer.Ordinal);
            var reached = new HashSet<string>(StringComparer.Ordinal);
            var queue = new Queue<SpanData>(spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)));
            while (queue.Count > 0)
            {
                var span = queue.Dequeue();
                if (reached.Add(span.Id))
                {
                    foreach (var child in byParent[span.Id])
                    {
                        queue.Enqueue(child);
                    }
                }
            }

            return reached;
        }
    }
}
