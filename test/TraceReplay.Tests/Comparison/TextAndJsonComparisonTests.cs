using System.Text.Json.Nodes;
using TraceReplay.Grains.Comparison;
using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Comparison;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class TextAndJsonComparisonTests
{
    [Fact]
    public void AWordDiffMarksOnlyTheChangedWordsAndRebuildsBothTexts()
    {
        var a = "Your order 42 is on its way.";
        var b = "Your order 42 has shipped today.";

        var diff = TextDiffer.Diff(a, b);

        Assert.Equal(a, string.Concat(diff.Segments.Where(s => s.Type != DiffSegmentType.Inserted).Select(s => s.Text)));
        Assert.Equal(b, string.Concat(diff.Segments.Where(s => s.Type != DiffSegmentType.Deleted).Select(s => s.Text)));
        Assert.Equal(
            [
                new DiffSegment(DiffSegmentType.Equal, "Your order 42 "),
                new DiffSegment(DiffSegmentType.Deleted, "is on its way"),
                new DiffSegment(DiffSegmentType.Inserted, "has shipped today"),
                new DiffSegment(DiffSegmentType.Equal, "."),
            ],
            diff.Segments);
        Assert.Equal((13, 17), (diff.DeletedChars, diff.InsertedChars));
    }

    [Fact]
    public void ReorderedKeysWhitespaceAndNumberSpellingAreTheSameJson()
    {
        var a = ChatPayload.Parse("""{"status":"shipped","eta":{"days":2,"exact":false},"items":[1,2]}""");
        var b = ChatPayload.Parse("""{ "items": [1, 2.0], "eta": {"exact": false, "days": 2}, "status": "shipped" }""");

        Assert.True(JsonStructure.AreEqual(a, b));
    }

    [Fact]
    public void JsonDifferencesNameThePathAndBothValues()
    {
        var a = ChatPayload.Parse("""{"status":"shipped","eta":{"days":2},"items":[1,2]}""");
        var b = ChatPayload.Parse("""{"status":"shipped","eta":{"days":3},"items":[1],"note":"late"}""");

        var differences = JsonStructure.Differences(a, b);

        Assert.Equal(["$.eta.days", "$.items[1]", "$.note"], differences.Select(d => d.Path));
        Assert.Equal(2, (int)differences[0].A!);
        Assert.Equal(3, (int)differences[0].B!);
        Assert.Null(differences[1].B);
        Assert.Null(differences[2].A);
    }

    [Fact]
    public void ToolCallsCompareByNameAndParsedArgumentsNotByIdOrSpelling()
    {
        var a = ChatPayload.ToolCalls(JsonNode.Parse(
            """{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":\"42\",\"full\":true}"}}]}"""));
        var b = ChatPayload.ToolCalls(JsonNode.Parse(
            """{"role":"assistant","tool_calls":[{"id":"call_xyz","type":"function","function":{"name":"lookup_order","arguments":"{ \"full\": true,\n \"order_id\": \"42\" }"}}]}"""));
        var c = ChatPayload.ToolCalls(JsonNode.Parse(
            """{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":\"43\",\"full\":true}"}}]}"""));

        Assert.True(ToolCallComparison.Of(a, b).Same);
        var changed = ToolCallComparison.Of(a, c);
        Assert.False(changed.Same);
        var difference = Assert.Single(changed.Differences);
        Assert.Equal("lookup_order", difference.NameB);
        Assert.Equal("$.order_id", Assert.Single(difference.ArgumentDifferences).Path);
    }

    [Fact]
    public void AnExtraOrRenamedToolCallIsADifference()
    {
        var one = new[] { new ToolCall("lookup_order", JsonNode.Parse("""{"order_id":"42"}""")) };
        var two = new[] { new ToolCall("cancel_order", JsonNode.Parse("""{"order_id":"42"}""")), new ToolCall("notify", null) };

        var comparison = ToolCallComparison.Of(one, two);

        Assert.False(comparison.Same);
        Assert.Equal([(0, "lookup_order", "cancel_order"), (1, null, "notify")],
            comparison.Differences.Select(d => (d.Index, d.NameA, d.NameB)));
    }
}
