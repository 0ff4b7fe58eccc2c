using System.Net;
using System.Net.Http.Json;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Operability;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Hardening;

/// <summary>One project's flood of slow LLM calls cannot hold another project's call behind it.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class FairPoolTests
{
    private const string AdminKey = "fair-pool-admin-key";

    [Fact]
    public async Task AnotherProjectsCallGetsTheNextFreeSlotAheadOfAFloodingProjectsQueue()
    {
        await using var host = await OperabilityHost.StartAsync(new Dictionary<string, string?> { ["TraceReplay:Api:AdminKey"] = AdminKey });
        host.Llm.Responder = body => body.ToJsonString().Contains("flood-", StringComparison.Ordinal) ? new FakeReply(Delay: TimeSpan.FromSeconds(10)) : null;

        // The default project queues twelve slow calls: two replays of a trace with six LLM spans.
        var flood = NewTraceId();
        var spans = Enumerable.Range(0, 6).Select(i => LlmSpan(flood, $"llm{i}", $"flood-{i} {flood}")).Prepend(TraceCreate(flood)).ToArray();
        Assert.Equal(HttpStatusCode.Created, (await host.Client.PostAsJsonAsync("/api/v1/traces", Of(spans))).StatusCode);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await host.Client.PostAsJsonAsync($"/api/v1/traces/{flood}/replays", new { model = "gpt-4o-mini" })).StatusCode);
        }

        await host.Llm.WaitForRequestsAsync(3, TimeSpan.FromSeconds(30));

        // Another project's one-call replay arrives while the pool's three slots are busy.
        using var admin = host.ClientWithKey(AdminKey);
        using var other = await TestProject.CreateAsync(admin, host.ClientWithKey, "quick");
        var quick = NewTraceId();
        Assert.Equal(HttpStatusCode.Created, (await other.Client.PostAsJsonAsync("/api/v1/traces", Of(TraceCreate(quick), LlmSpan(quick, "llm", "quick " + quick)))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await other.Client.PostAsJsonAsync($"/api/v1/traces/{quick}/replays", new { model = "gpt-4o-mini" })).StatusCode);

        var requests = await Eventually.ReturnsAsync(() => Task.FromResult(host.Llm.Requests),
            r => r.Any(q => q.Body.ToJsonString().Contains("quick " + quick, StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "the other project's call to reach the provider");
        var position = requests.ToList().FindIndex(q => q.Body.ToJsonString().Contains("quick " + quick, StringComparison.Ordinal));

        // First in line when the first slot frees up (FIFO would have put it behind all nine queued flood calls).
        Assert.True(position <= 4, $"the other project's call was request #{position + 1} of the provider");
    }
}
