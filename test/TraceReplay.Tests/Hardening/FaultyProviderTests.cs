using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Hardening;

/// <summary>A flaky or broken provider loses no work: retries finish what can finish, and what cannot fails with the reason.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(HardeningCollection.Name)]
public sealed class FaultyProviderTests(HardeningFixture fixture)
{
    [Fact]
    public async Task AllReplaysOfA200TraceSweepCompleteAgainstAProviderWith500s429sAndHangs()
    {
        using var project = await fixture.NewProjectAsync();
        var marker = "flaky-" + Guid.NewGuid().ToString("N");
        var ids = await IngestAsync(project.Client, marker, 200);
        var random = new Random(20_24);
        var (errors, throttles, hangs) = (0, 0, 0);
        fixture.Llm.Responder = body =>
        {
            if (!body.ToJsonString().Contains(marker, StringComparison.Ordinal))
            {
                return null;
            }

            lock (random)
            {
                var roll = random.NextDouble();
                return roll switch
                {
                    < 0.10 => Count(ref errors, new FakeReply(500, Content: "upstream exploded")),
                    < 0.15 => Count(ref throttles, new FakeReply(429, Content: "slow down", RetryAfterSeconds: 1)),
                    < 0.16 => Count(ref hangs, new FakeReply(Delay: TimeSpan.FromSeconds(10))),
                    _ => null,
                };
            }
        };
        try
        {
            var sweep = await StartSweepAsync(project.Client, ids, "gpt-4o-mini");
            var done = await WaitForSweepAsync(project.Client, sweep, TimeSpan.FromSeconds(90));

            var counts = done["counts"]!;
            Assert.True((int)counts["completed"]! == 200, $"sweep ended {done.ToJsonString()}");
            Assert.Equal(0, (int)counts["failed"]!);
            Assert.True(errors > 5 && throttles > 2, $"the fake injected {errors} 500s, {throttles} 429s and {hangs} hangs");
            Assert.True(fixture.Llm.Requests.Count(r => r.Body.ToJsonString().Contains(marker)) > 200, "failed attempts were retried");
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public async Task AModelThatAlwaysFailsFailsEveryReplayWithTheProvidersReasonAndLeavesNoneRunning()
    {
        using var project = await fixture.NewProjectAsync();
        var marker = "broken-" + Guid.NewGuid().ToString("N");
        var ids = await IngestAsync(project.Client, marker, 12);
        fixture.Llm.Responder = body => (string?)body["model"] == "gpt-4.1-mini" && body.ToJsonString().Contains(marker, StringComparison.Ordinal)
            ? new FakeReply(503, Content: "model gpt-4.1-mini is overloaded")
            : null;
        try
        {
            var sweep = await StartSweepAsync(project.Client, ids, "gpt-4.1-mini");
            var done = await WaitForSweepAsync(project.Client, sweep, TimeSpan.FromSeconds(60));

            Assert.Equal(12, (int)done["counts"]!["failed"]!);
            Assert.Equal(0, (int)done["counts"]!["running"]!);
            foreach (var id in ids)
            {
                var replays = (await project.Client.GetFromJsonAsync<JsonNode>($"/api/v1/traces/{id}/replays"))!["data"]!.AsArray();
                Assert.NotEmpty(replays);
                Assert.All(replays, r =>
                {
                    Assert.Equal("FAILED", (string?)r!["status"]);
                    Assert.Equal(503, (int?)r["error"]!["providerStatus"]);
                    Assert.Contains("overloaded", (string?)r["error"]!["message"]);
                });
            }
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public void TheAdaptiveRateHalvesOnA429AndGrowsBackWithSuccesses()
    {
        var clock = new FakeTimeProvider();
        var rate = new AdaptiveRate(new LlmLimiterOptions { InitialRatePerSecond = 10, MinRatePerSecond = 1, MaxRatePerSecond = 40, IncreasePerSuccess = 1 }, clock);

        rate.Acquire(new PermitRequest(0, 0, Throttled: 3));
        Assert.Equal(5, rate.RatePerSecond);
        rate.Acquire(new PermitRequest(0, 0, Throttled: 1));
        Assert.Equal(5, rate.RatePerSecond); // the same burst of 429s counts once

        clock.Advance(TimeSpan.FromSeconds(2));
        rate.Acquire(new PermitRequest(0, 0, Throttled: 1));
        Assert.Equal(2.5, rate.RatePerSecond);

        rate.Acquire(new PermitRequest(0, Succeeded: 10, 0));
        Assert.Equal(12.5, rate.RatePerSecond);
        rate.Acquire(new PermitRequest(0, Succeeded: 100, 0));
        Assert.Equal(40, rate.RatePerSecond);
        for (var i = 0; i < 20; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            rate.Acquire(new PermitRequest(0, 0, Throttled: 1));
        }

        Assert.Equal(1, rate.RatePerSecond);
    }

    [Fact]
    public void PermitsAreGrantedAtTheRateAndAnEmptyBucketSaysWhenToAskAgain()
    {
        var clock = new FakeTimeProvider();
        var rate = new AdaptiveRate(new LlmLimiterOptions { InitialRatePerSecond = 10, IncreasePerSuccess = 0 }, clock);
        clock.Advance(TimeSpan.FromSeconds(5));

        var first = rate.Acquire(new PermitRequest(32, 0, 0));
        var second = rate.Acquire(new PermitRequest(4, 0, 0));
        clock.Advance(TimeSpan.FromMilliseconds(300));
        var third = rate.Acquire(new PermitRequest(4, 0, 0));

        Assert.Equal(10, first.Granted); // one second's worth at most
        Assert.Equal(0, second.Granted);
        Assert.Equal(TimeSpan.FromMilliseconds(100), second.RetryAfter);
        Assert.Equal(3, third.Granted);
    }

    private static FakeReply Count(ref int counter, FakeReply reply)
    {
        counter++;
        return reply;
    }

    private static async Task<List<string>> IngestAsync(HttpClient client, string marker, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => NewTraceId()).ToList();
        foreach (var chunk in ids.Chunk(100))
        {
            var events = chunk.SelectMany(id => new[] { TraceCreate(id, "flaky"), LlmSpan(id, "llm", $"{marker} {id}") }).ToArray();
            var response = await client.PostAsJsonAsync("/api/v1/traces", Of(events));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        return ids;
    }

    private static async Task<string> StartSweepAsync(HttpClient client, List<string> ids, string model)
    {
        var response = await client.PostAsJsonAsync("/api/v1/sweeps", new { filter = new { traceIds = ids }, overrides = new { model } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["id"]!;
    }

    private static async Task<JsonNode> WaitForSweepAsync(HttpClient client, string sweepId, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var sweep = (await client.GetFromJsonAsync<JsonNode>($"/api/v1/sweeps/{sweepId}"))!["data"]!;
            if ((string?)sweep["status"] is not ("PENDING" or "RUNNING"))
            {
                return sweep;
            }

            // Polled gently: this fixture's rate limit is small.
            await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
        }
    }
}
