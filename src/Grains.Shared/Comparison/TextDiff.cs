using System.Text;
using DiffPlex;
using DiffPlex.Chunkers;
using DiffPlex.Model;

namespace TraceReplay.Grains.Comparison;

/// <summary>What a diff segment is: text both sides share, text only B has, or text only A had.</summary>
public enum DiffSegmentType
{
    Equal = 0,
    Inserted = 1,
    Deleted = 2,
}

/// <summary>A run of text; concatenating the Equal and Deleted segments gives A, the Equal and Inserted ones give B.</summary>
public sealed record DiffSegment(DiffSegmentType Type, string Text);

/// <summary>A text diff of A against B: the segments in reading order, and how many characters each side changed.</summary>
public sealed record TextDiff(IReadOnlyList<DiffSegment> Segments, int DeletedChars, int InsertedChars);

/// <summary>
/// Text diffs made with DiffPlex: by words (whitespace and punctuation are pieces of their own), or by whole lines
/// when either text is longer than <see cref="WordDiffMaxChars"/>.
/// </summary>
public static class TextDiffer
{
    /// <summary>Longer texts are diffed by lines, which keeps the diff small and fast.</summary>
    public const int WordDiffMaxChars = 20_000;

    public static TextDiff Diff(string a, string b)
    {
        IChunker chunker = a.Length > WordDiffMaxChars || b.Length > WordDiffMaxChars
            ? LineEndingsPreservingChunker.Instance
            : new DelimiterChunker(WordDelimiters);
        var result = Differ.Instance.CreateDiffs(a, b, ignoreWhiteSpace: false, ignoreCase: false, chunker);

        var segments = new List<DiffSegment>();
        var indexA = 0;
        foreach (var block in result.DiffBlocks)
        {
            Add(segments, DiffSegmentType.Equal, result.PiecesOld, indexA, block.DeleteStartA - indexA);
            Add(segments, DiffSegmentType.Deleted, result.PiecesOld, block.DeleteStartA, block.DeleteCountA);
            Add(segments, DiffSegmentType.Inserted, result.PiecesNew, block.InsertStartB, block.InsertCountB);
            indexA = block.DeleteStartA + block.DeleteCountA;
        }

        Add(segments, DiffSegmentType.Equal, result.PiecesOld, indexA, result.PiecesOld.Count - indexA);
        segments = Coalesce(segments);
        return new TextDiff(
            segments,
            segments.Where(s => s.Type == DiffSegmentType.Deleted).Sum(s => s.Text.Length),
            segments.Where(s => s.Type == DiffSegmentType.Inserted).Sum(s => s.Text.Length));
    }

    private static readonly char[] WordDelimiters = [' ', '\t', '\r', '\n', '.', ',', ';', ':', '!', '?', '(', ')', '[', ']', '{', '}', '"', '\''];

    /// <summary>
    /// A change of several words shares the spaces between them with the other side; left alone, that reads as
    /// "-is- +has+ -on- +shipped+". Whitespace between two changes joins them, so each run of changes is one
    /// deletion followed by one insertion.
    /// </summary>
    private static List<DiffSegment> Coalesce(List<DiffSegment> segments)
    {
        var result = new List<DiffSegment>();
        var (deleted, inserted) = (new StringBuilder(), new StringBuilder());
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            var joins = segment.Type == DiffSegmentType.Equal && i > 0 && i < segments.Count - 1 && string.IsNullOrWhiteSpace(segment.Text);
            if (segment.Type == DiffSegmentType.Equal && !joins)
            {
                Flush(result, deleted, inserted);
                result.Add(segment);
                continue;
            }

            if (segment.Type != DiffSegmentType.Inserted)
            {
                deleted.Append(segment.Text);
            }

            if (segment.Type != DiffSegmentType.Deleted)
            {
                inserted.Append(segment.Text);
            }
        }

        Flush(result, deleted, inserted);
        return result;
    }

    private static void Flush(List<DiffSegment> result, StringBuilder deleted, StringBuilder inserted)
    {
        if (deleted.Length > 0)
        {
            result.Add(new DiffSegment(DiffSegmentType.Deleted, deleted.ToString()));
        }

        if (inserted.Length > 0)
        {
            result.Add(new DiffSegment(DiffSegmentType.Inserted, inserted.ToString()));
        }

        deleted.Clear();
        inserted.Clear();
    }

    /// <summary>Appends pieces as one segment, merged into the previous segment when it has the same type.</summary>
    private static void Add(List<DiffSegment> segments, DiffSegmentType type, IReadOnlyList<string> pieces, int start, int count)
    {
        if (count <= 0)
        {
            return;
        }

        var text = string.Concat(pieces.Skip(start).Take(count));
        if (segments.Count > 0 && segments[^1].Type == type)
        {
            segments[^1] = segments[^1] with { Text = segments[^1].Text + text };
        }
        else
        {
            segments.Add(new DiffSegment(type, text));
        }
    }
}
