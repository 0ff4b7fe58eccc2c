using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Api;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class TraceQueryApiTests(ApiFixture api)
{
    [Fact]
    public async Task NameFiltersBySubstring()
    {
        var tag = UniqueTag();
        var alpha = await IngestAsync(tag, $"{tag}-alpha-agent");
        await IngestAsync(tag, $"{tag}-beta-agent");

        var ids = await ListIdsAsync($"name={tag}-alph");

        Assert.Equal([alpha], ids);
    }

    [Fact]
    public async Task KindSeparatesOriginalsFromReplays()
    {
        var (tag, ids) = await Sweeps.SweepApiTests.IngestTaggedAsync(api, 1);
        var started = await api.PostAsync($"/api/v1/traces/{ids[0]}/replays", new { model = "gpt-4o-mini" });
        var replay = await api.WaitForReplayAsync((string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!);
        var replayTraceId = (string)replay["replayTraceId"]!;
        var name = (string)(await api.GetDataAsync($"/api/v1/traces/{ids[0]}"))["name"]!;

        var originals = await ListIdsAsync($"name={name}&kind=original&limit=100");
        var replays = await ListIdsAsync($"name={name}&kind=replay&limit=100");

        Assert.Contains(ids[0], originals);
        Assert.DoesNotContain(replayTraceId, originals);
        Assert.Contains(replayTraceId, replays);
        Assert.DoesNotContain(ids[0], replays);
        var message = await ApiFixture.AssertErrorAsync(await api.Client.GetAsync("/api/v1/traces?kind=sideways"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("kind", message);
    }

    [Fact]
    public async Task StatusFiltersOkAndErrorTraces()
    {
        var tag = UniqueTag();
        var ok = await IngestAsync(tag);
        var failed = await IngestAsync(tag, status: "ERROR");

        Assert.Equal([failed], await ListIdsAsync($"tags={tag}&status=ERROR"));
        Assert.Equal([ok], await ListIdsAsync($"tags={tag}&status=OK"));
    }

    [Fact]
    public async Task TagsMatchTracesThatHaveAllOfTheGivenTags()
    {
        var tag = UniqueTag();
        var both = await IngestAsync(tag, extraTags: ["gold"]);
        var one = await IngestAsync(tag);

        Assert.Equal([both], await ListIdsAsync($"tags={tag},gold"));
        Assert.Equal(new[] { both, one }.Order(StringComparer.Ordinal), (await ListIdsAsync($"tags={tag}")).Order(StringComparer.Ordinal));
        Assert.Empty(await ListIdsAsync($"tags={tag},gold,silver"));
    }

    [Fact]
    public async Task StartDateAndEndDateKeepTracesInsideTheWindow()
    {
        var tag = UniqueTag();
        var now = DateTimeOffset.UtcNow;
        await IngestAsync(tag, at: now.AddHours(-3));
        var middle = await IngestAsync(tag, at: now.AddHours(-2));
        var recent = await IngestAsync(tag, at: now.AddHours(-1));

        var window = await ListIdsAsync($"tags={tag}&startDate={Uri.EscapeDataString(Time(now.AddMinutes(-150)))}&endDate={Uri.EscapeDataString(Time(now.AddMinutes(-90)))}");
        var since = await ListIdsAsync($"tags={tag}&startDate={Uri.EscapeDataString(Time(now.AddMinutes(-150)))}");

        Assert.Equal([middle], window);
        Assert.Equal([recent, middle], since);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("ten")]
    public async Task ALimitOutsideOneToAHundredIsAValidationError(string limit)
    {
        var response = await api.Client.GetAsync($"/api/v1/traces?limit={limit}");

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("limit", message);
    }

    [Fact]
    public async Task LimitsOfOneAndAHundredAreAccepted()
    {
        Assert.Single((await api.GetDataAsync("/api/v1/traces?limit=1"))["traces"]!.AsArray());
        Assert.InRange((await api.GetDataAsync("/api/v1/traces?limit=100"))["traces"]!.AsArray().Count, 1, 100);
    }

    [Fact]
    public async Task CursorPagingVisitsEveryMatchingTraceExactlyOnceNewestFirst()
    {
        var tag = UniqueTag();
        var now = DateTimeOffset.UtcNow;
        var expected = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            expected.Insert(0, await IngestAsync(tag, at: now.AddMinutes(-50 + i)));
        }

        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await api.GetDataAsync($"/api/v1/traces?tags={tag}&limit=2" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            var traces = page["traces"]!.AsArray();
            Assert.InRange(traces.Count, 1, 2);
            seen.AddRange(traces.Select(t => (string)t!["id"]!));
            cursor = (string?)page["nextCursor"];
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task AGarbageCursorIsAValidationError()
    {
        var response = await api.Client.GetAsync("/api/v1/traces?cursor=definitely-not-a-cursor");

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("cursor", message);
    }

    [Fact]
    public async Task ListedTracesCarryTheirTotalsButNotTheirSpans()
    {
        var tag = UniqueTag();
        var id = await IngestAsync(tag);

        var row = (await api.GetDataAsync($"/api/v1/traces?tags={tag}"))["traces"]!.AsArray().Single()!;

        Assert.Equal(id, (string?)row["id"]);
        Assert.Equal(120, (long)row["totalTokens"]!);
        Assert.Equal(1, (int)row["spanCount"]!);
        Assert.False(row.AsObject().ContainsKey("spans"));
    }

    private static string UniqueTag() => "q" + Guid.NewGuid().ToString("N")[..12];

    private async Task<string> IngestAsync(string tag, string? name = null, string status = "OK", string[]? extraTags = null, DateTimeOffset? at = null)
    {
        var id = NewTraceId();
        var start = at ?? DateTimeOffset.UtcNow.AddMinutes(-1);
        var llm = LlmSpan(id, "llm", "query test", start: start);
        llm["body"]!["status"] = status;
        var response = await api.PostRawAsync("/api/v1/traces",
            Of(TraceCreate(id, name ?? "query-test", [tag, .. extraTags ?? []], start), llm).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    private async Task<List<string>> ListIdsAsync(string query) =>
        [.. (await api.GetDataAsync($"/api/v1/traces?{query}"))["traces"]!.AsArray().Select(t => (string)t!["id"]!)];
}
