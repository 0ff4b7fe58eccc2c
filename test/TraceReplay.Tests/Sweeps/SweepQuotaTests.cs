using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fixtures;
using TraceReplay.Tests.Operability;

namespace TraceReplay.Tests.Sweeps;

/// <summary>The project's sweep slot, taken by <c>POST /sweeps</c> before the sweep is staged, on a host limited to one sweep.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class SweepQuotaTests
{
    [Fact]
    public async Task ASweepWhoseStagingFailsGivesItsSlotBackSoTheNextStartIsAccepted()
    {
        var staging = new FailingStage();
        await using var host = await OperabilityHost.StartAsync(
            new Dictionary<string, string?> { ["TraceReplay:Limits:MaxSweepsPerProject"] = "1" },
            services => services.AddSingleton<IIncomingGrainCallFilter>(staging));
        var tag = "quota-" + Guid.NewGuid().ToString("N")[..8];
        var id = Batches.NewTraceId();
        using (var ingest = await host.Client.PostAsJsonAsync("/api/v1/traces",
            Batches.Of(Batches.TraceCreate(id, "quota", [tag], DateTimeOffset.UtcNow.AddMinutes(-5)), Batches.LlmSpan(id, "llm", "question"))))
        {
            Assert.Equal(HttpStatusCode.Created, ingest.StatusCode);
        }

        var body = new { name = "quota", filter = new { tags = new[] { tag } } };
        staging.FailNext();
        using (var failed = await host.Client.PostAsJsonAsync("/api/v1/sweeps", body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        Assert.Equal(1, staging.Failed);
        using var accepted = await host.Client.PostAsJsonAsync("/api/v1/sweeps", body);
        var answer = await accepted.Content.ReadAsStringAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"the start after a failed one answered {(int)accepted.StatusCode}: {answer}");
        var listed = JsonNode.Parse(await host.Client.GetStringAsync("/api/v1/sweeps"))!["data"]!.AsArray();
        Assert.Equal([(string?)JsonNode.Parse(answer)!["data"]!["id"]], listed.Select(s => (string?)s!["id"]));
    }

    /// <summary>Refuses the next <c>StageTargetsAsync</c> as PostgreSQL refusing a connection would.</summary>
    private sealed class FailingStage : IIncomingGrainCallFilter
    {
        private int _armed;
        private int _failed;

        public int Failed => Volatile.Read(ref _failed);

        public void FailNext() => Volatile.Write(ref _armed, 1);

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name == nameof(ISweepGrain.StageTargetsAsync) && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Interlocked.Increment(ref _failed);
                throw new StorageUnavailableException("staging refused by the test");
            }

            return context.Invoke();
        }
    }
}
