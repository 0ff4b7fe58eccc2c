using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Hardening;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(HardeningCollection.Name)]
public sealed class LimitTests(HardeningFixture fixture)
{
    [Fact]
    public async Task AKeyPastItsRateGets429WithRetryAfterWhileAnotherKeyIsUnaffected()
    {
        using var project = await fixture.NewProjectAsync();
        using var other = await fixture.NewProjectAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, HardeningFixture.RequestsPerSecond * 3)
            .Select(_ => project.Client.GetAsync("/api/v1/evaluators")));

        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) <= HardeningFixture.RequestsPerSecond * 2);
        var first = limited[0];
        Assert.True(first.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "Retry-After in seconds");
        await ApiFixture.AssertErrorAsync(first, HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        Assert.Equal(HttpStatusCode.OK, (await other.Client.GetAsync("/api/v1/evaluators")).StatusCode);

        await Eventually.ReturnsAsync(() => project.Client.GetAsync("/api/v1/evaluators"),
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(5), "the window to slide on");
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413()
    {
        using var project = await fixture.NewProjectAsync();
        var huge = new string('x', (int)HardeningFixture.MaxBodyBytes + 10);

        var response = await project.Client.PostAsync("/api/v1/traces", new StringContent($$"""{"batch": [], "pad": "{{huge}}"}""", System.Text.Encoding.UTF8, "application/json"));

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Contains(HardeningFixture.MaxBodyBytes.ToString(), message);
    }

    [Fact]
    public async Task ABatchWithTooManyEventsIs413AndStoresNothing()
    {
        using var project = await fixture.NewProjectAsync();
        var traceId = NewTraceId();
        var events = Enumerable.Range(0, HardeningFixture.MaxBatchEvents + 1).Select(i => Span(traceId, $"s{i}", "CUSTOM")).ToArray();

        var response = await project.Client.PostAsJsonAsync("/api/v1/traces", Of(events));

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Contains($"limit is {HardeningFixture.MaxBatchEvents} events", message);
        Assert.Equal(HttpStatusCode.NotFound, (await project.Client.GetAsync($"/api/v1/traces/{traceId}")).StatusCode);
    }

    [Fact]
    public async Task ATraceCannotGrowPastTheSpanLimitAcrossBatches()
    {
        using var project = await fixture.NewProjectAsync();
        var traceId = NewTraceId();
        var first = await project.Client.PostAsJsonAsync("/api/v1/traces",
            Of([TraceCreate(traceId), .. Enumerable.Range(0, HardeningFixture.MaxSpansPerTrace).Select(i => Span(traceId, $"s{i}", "CUSTOM"))]));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var second = await project.Client.PostAsJsonAsync("/api/v1/traces", Of(Span(traceId, "one-more", "CUSTOM")));

        var message = await ApiFixture.AssertErrorAsync(second, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Contains($"limit is {HardeningFixture.MaxSpansPerTrace} spans per trace", message);
        var trace = (await project.Client.GetFromJsonAsync<JsonNode>($"/api/v1/traces/{traceId}"))!["data"]!;
        Assert.Equal(HardeningFixture.MaxSpansPerTrace, trace["spans"]!.AsArray().Count);
    }

    [Fact]
    public async Task ABatchWithOneTracePastTheSpanLimitIs413AndStoresNoneOfItsOtherTraces()
    {
        using var project = await fixture.NewProjectAsync();
        var full = NewTraceId();
        var grown = NewTraceId();
        Assert.Equal(HttpStatusCode.Created, (await project.Client.PostAsJsonAsync("/api/v1/traces",
            Of([TraceCreate(full), .. Enumerable.Range(0, HardeningFixture.MaxSpansPerTrace).Select(i => Span(full, $"s{i}", "CUSTOM")),
                TraceCreate(grown), Span(grown, "root", "CUSTOM")]))).StatusCode);
        var fresh = Enumerable.Range(0, 5).Select(_ => NewTraceId()).ToList();

        // New traces before and after the one that refuses, and a span added to an existing trace.
        var refused = await project.Client.PostAsJsonAsync("/api/v1/traces", Of([
            .. fresh.Take(3).SelectMany(id => new[] { TraceCreate(id), Span(id, "root", "CUSTOM") }),
            Span(full, "one-more", "CUSTOM"),
            Span(grown, "added", "CUSTOM"),
            .. fresh.Skip(3).SelectMany(id => new[] { TraceCreate(id), Span(id, "root", "CUSTOM") })]));

        await ApiFixture.AssertErrorAsync(refused, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        foreach (var id in fresh)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await project.Client.GetAsync($"/api/v1/traces/{id}")).StatusCode);
        }

        var kept = (await project.Client.GetFromJsonAsync<JsonNode>($"/api/v1/traces/{grown}"))!["data"]!;
        Assert.Equal(["root"], kept["spans"]!.AsArray().Select(s => (string?)s!["id"]));
        var listed = (await project.Client.GetFromJsonAsync<JsonNode>("/api/v1/traces?limit=100"))!["data"]!["traces"]!.AsArray();
        Assert.Equal(new[] { full, grown }.Order(StringComparer.Ordinal), listed.Select(t => (string)t!["id"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReplaysPastTheProjectsInFlightLimitGet429UntilOneFinishes()
    {
        using var project = await fixture.NewProjectAsync();
        var traceId = NewTraceId();
        Assert.Equal(HttpStatusCode.Created, (await project.Client.PostAsJsonAsync("/api/v1/traces",
            Of(TraceCreate(traceId), LlmSpan(traceId, "llm", "limits " + traceId)))).StatusCode);
        fixture.Llm.Responder = body => body.ToJsonString().Contains(traceId) ? new FakeReply(Delay: TimeSpan.FromSeconds(20)) : null;
        try
        {
            for (var i = 0; i < HardeningFixture.MaxReplaysInFlight; i++)
            {
                Assert.Equal(HttpStatusCode.Accepted, (await project.Client.PostAsJsonAsync($"/api/v1/traces/{traceId}/replays", new { })).StatusCode);
            }

            var refused = await project.Client.PostAsJsonAsync($"/api/v1/traces/{traceId}/replays", new { });

            var message = await ApiFixture.AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "LIMIT_EXCEEDED");
            Assert.Contains($"{HardeningFixture.MaxReplaysInFlight} replays in flight", message);
            using var other = await fixture.NewProjectAsync();
            var otherTrace = NewTraceId();
            await other.Client.PostAsJsonAsync("/api/v1/traces", Of(TraceCreate(otherTrace), LlmSpan(otherTrace, "llm", "other")));
            Assert.Equal(HttpStatusCode.Accepted, (await other.Client.PostAsJsonAsync($"/api/v1/traces/{otherTrace}/replays", new { })).StatusCode);
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public async Task ASecondSweepWhileOneRunsGets429()
    {
        using var project = await fixture.NewProjectAsync();
        var traceId = NewTraceId();
        await project.Client.PostAsJsonAsync("/api/v1/traces", Of(TraceCreate(traceId), LlmSpan(traceId, "llm", "sweep limit " + traceId)));
        fixture.Llm.Responder = body => body.ToJsonString().Contains(traceId) ? new FakeReply(Delay: TimeSpan.FromSeconds(20)) : null;
        try
        {
            var sweep = new { filter = new { traceIds = new[] { traceId } }, overrides = new { model = "gpt-4o-mini" } };
            Assert.Equal(HttpStatusCode.Accepted, (await project.Client.PostAsJsonAsync("/api/v1/sweeps", sweep)).StatusCode);

            var refused = await project.Client.PostAsJsonAsync("/api/v1/sweeps", sweep);

            var message = await ApiFixture.AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "LIMIT_EXCEEDED");
            Assert.Contains($"{HardeningFixture.MaxSweeps} sweeps pending or running", message);
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }
}
