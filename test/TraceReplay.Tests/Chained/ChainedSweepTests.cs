using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Chained;

/// <summary>A chained sweep reports how often the new model decided as the recordings did, and where it diverged.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class ChainedSweepTests(ApiFixture fixture)
{
    [Fact]
    public async Task AChainedSweepReportsTheDecisionAgreementRateAndTheDivergencesOverallPerCohortAndInCsv()
    {
        var grains = fixture.Services.GetRequiredService<IClusterClient>();
        var markers = Enumerable.Range(0, 3).Select(_ => "sweep-chain-" + Guid.NewGuid().ToString("N")[..12]).ToList();
        var ids = new List<string>();
        foreach (var marker in markers)
        {
            var id = "t-" + Guid.NewGuid().ToString("N");
            await grains.GetGrain<ITraceGrain>(id).IngestAsync(AgentTraces.CancelOrder(marker));
            ids.Add(id);
        }

        // The last trace's replay calls another tool at step 2.
        var diverging = markers[2];
        fixture.Llm.Responder = body => AgentTraces.StepOf(body, diverging) == 2
            ? new FakeReply(ToolCalls: AgentTraces.ToolCalls(("n", "refund_order", """{"order_id":"42"}""")))
            : markers.Select(m => AgentTraces.Agreeing(body, m)).FirstOrDefault(r => r is not null);
        try
        {
            var response = await fixture.PostAsync("/api/v1/sweeps", new
            {
                name = "chained",
                filter = new { traceIds = ids },
                overrides = new { model = "gpt-4o-mini" },
                mode = "chained",
            });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var started = (await ApiFixture.ReadJsonAsync(response))["data"]!;
            Assert.Equal("CHAINED", (string?)started["overrides"]!["mode"]);
            var sweepId = (string)started["id"]!;
            await Eventually.ReturnsAsync(
                () => fixture.GetDataAsync($"/api/v1/sweeps/{sweepId}"), s => s["completedAt"] is not null, TimeSpan.FromSeconds(60), "sweep to end");

            var results = await fixture.GetDataAsync($"/api/v1/sweeps/{sweepId}/results");
            var csv = await (await fixture.Client.GetAsync($"/api/v1/sweeps/{sweepId}/results?format=csv")).Content.ReadAsStringAsync();

            var decisions = results["decisions"]!;
            Assert.Equal(3, (int)decisions["traces"]!);
            Assert.Equal(8, (int)decisions["spans"]!);
            Assert.Equal(7, (int)decisions["agreed"]!);
            Assert.Equal(0.875, (double)decisions["agreementRate"]!);
            Assert.Equal(1, (int)decisions["divergedTraces"]!);
            var divergence = decisions["divergences"]!.AsArray().Single()!;
            Assert.Equal(ids[2], (string?)divergence["traceId"]);
            Assert.Equal("step2", (string?)divergence["spanId"]);
            Assert.Equal("the recording has no result of tool 'refund_order'", (string?)divergence["reason"]);
            Assert.Equal(0.875, (double)results["cohorts"]!.AsArray().Single()!["decisions"]!["agreementRate"]!);
            Assert.Equal("COMPLETED", (string?)results["traces"]!.AsArray().Single(t => (string?)t!["traceId"] == ids[2])!["status"]);

            var lines = csv.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            Assert.Contains("decision_spans,decisions_agreed,diverged_at_span,divergence_reason", lines[0]);
            Assert.Contains(lines, l => l.StartsWith(ids[2], StringComparison.Ordinal) && l.Contains(",2,1,step2,the recording has no result of tool 'refund_order'"));
            Assert.Contains(lines, l => l.StartsWith(ids[0], StringComparison.Ordinal) && l.Contains(",3,3,,"));
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public void TheCliSendsModeAndToolMatchingInTheSweepBody()
    {
        var (body, error) = new TraceReplay.Cli.SweepSettings { Filters = ["tag=x"], Mode = "chained", ToolMatching = "fifo" }.ToBody();

        Assert.Null(error);
        Assert.Equal("chained", (string?)body!["mode"]);
        Assert.Equal("fifo", (string?)body["toolMatching"]);
    }

    [Theory]
    [InlineData("""{"filter": {"traceIds": ["x"]}, "mode": "parallel"}""", "mode")]
    [InlineData("""{"filter": {"traceIds": ["x"]}, "mode": "chained", "overrides": {"mode": "isolated", "toolMatching": "fifo"}, "toolMatching": "strict"}""", "toolMatching")]
    public async Task ASweepRefusesAnUnknownOrContradictoryModeNamingTheField(string body, string field)
    {
        var response = await fixture.PostRawAsync("/api/v1/sweeps", body);

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.StartsWith(field, message);
    }
}
