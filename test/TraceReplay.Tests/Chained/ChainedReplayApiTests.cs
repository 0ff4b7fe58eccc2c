using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Chained;

/// <summary>Chained replays of a three-step agent against the fake provider, through the real API.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class ChainedReplayApiTests(ApiFixture fixture)
{
    private static string NewMarker() => "chain-" + Guid.NewGuid().ToString("N")[..12];

    private async Task<string> IngestAgentAsync(string marker)
    {
        var id = "t-" + Guid.NewGuid().ToString("N");
        await fixture.Services.GetRequiredService<IClusterClient>().GetGrain<ITraceGrain>(id).IngestAsync(AgentTraces.CancelOrder(marker));
        return id;
    }

    private async Task<JsonNode> ReplayAsync(string traceId, object body)
    {
        var response = await fixture.PostAsync($"/api/v1/traces/{traceId}/replays", body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await ApiFixture.ReadJsonAsync(response))["data"]!["id"]!;
        return await fixture.WaitForReplayAsync(id);
    }

    private List<JsonObject> RequestsFor(string marker) =>
        [.. fixture.Llm.Requests.Select(r => r.Body).Where(b => AgentTraces.StepOf(b, marker) is not null)];

    private static JsonArray Messages(JsonObject request) => (JsonArray)request["messages"]!;

    [Fact]
    public async Task AnAgreeingModelGetsTheRecordedToolResultsBackCompletesAndAgreesOnEveryDecision()
    {
        var marker = NewMarker();
        var traceId = await IngestAgentAsync(marker);
        fixture.Llm.Responder = body => AgentTraces.Agreeing(body, marker);
        try
        {
            var replay = await ReplayAsync(traceId, new { model = "gpt-4o-mini", mode = "chained" });

            Assert.Equal("COMPLETED", (string?)replay["status"]);
            Assert.Null(replay["divergence"]);
            Assert.Equal("CHAINED", (string?)replay["overrides"]!["mode"]);
            Assert.Equal("STRICT", (string?)replay["overrides"]!["toolMatching"]);
            Assert.Equal(3, (int)replay["decisions"]!["spans"]!);
            Assert.Equal(1.0, (double)replay["decisions"]!["agreementRate"]!);

            var requests = RequestsFor(marker);
            Assert.Equal([1, 2, 3], requests.Select(r => AgentTraces.StepOf(r, marker)!.Value));
            var second = Messages(requests[1]);
            Assert.Equal("new_1", (string?)second[2]!["tool_calls"]![0]!["id"]);
            Assert.Equal("new_1", (string?)second[3]!["tool_call_id"]);
            Assert.Equal(AgentTraces.LookupResult, (string?)second[3]!["content"]);
            var third = Messages(requests[2]);
            Assert.Equal("new_2", (string?)third[5]!["tool_call_id"]);
            Assert.Equal(AgentTraces.CancelResult, (string?)third[5]!["content"]);

            var trace = await fixture.GetDataAsync($"/api/v1/traces/{(string)replay["replayTraceId"]!}");
            var spans = trace["spans"]!.AsArray();
            Assert.Equal(6, spans.Count);
            Assert.Equal("Done: order 42 is cancelled.", (string?)spans.Single(s => (string?)s!["replayOfSpanId"] == "step3")!["output"]);
            Assert.Equal("Done: order 42 is cancelled.", (string?)spans.Single(s => (string?)s!["replayOfSpanId"] == "root")!["output"]);
            Assert.Equal("new_1", (string?)spans.Single(s => (string?)s!["replayOfSpanId"] == "step2")!["input"]!["messages"]![3]!["tool_call_id"]);

            var comparison = await fixture.GetDataAsync($"/api/v1/replays/{(string)replay["id"]!}/comparison");
            Assert.Equal(1.0, (double)comparison["decisions"]!["agreementRate"]!);
            Assert.Equal(3, comparison["decisions"]!["spans"]!.AsArray().Count(s => (bool)s!["same"]!));
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public async Task AModelThatCallsTheToolWithOtherArgumentsAtStepTwoStopsThereAndItsTraceShowsStepsOneAndTwo()
    {
        var marker = NewMarker();
        var traceId = await IngestAgentAsync(marker);
        fixture.Llm.Responder = body => AgentTraces.StepOf(body, marker) == 2
            ? new FakeReply(ToolCalls: AgentTraces.ToolCalls(("new_2", "cancel_order", """{"order_id":"43","reason":"customer request"}""")))
            : AgentTraces.Agreeing(body, marker);
        try
        {
            var replay = await ReplayAsync(traceId, new { model = "gpt-4o-mini", mode = "chained" });

            Assert.Equal("COMPLETED", (string?)replay["status"]);
            var divergence = replay["divergence"]!;
            Assert.Equal("step2", (string?)divergence["spanId"]);
            Assert.Equal("""cancel_order({"order_id":"42","reason":"customer request"})""", (string?)divergence["expected"]);
            Assert.Equal("""cancel_order({"order_id":"43","reason":"customer request"})""", (string?)divergence["actual"]);
            Assert.Contains("no result of tool 'cancel_order' with arguments", (string?)divergence["reason"]);
            Assert.Equal(2, RequestsFor(marker).Count);
            Assert.Equal(2, (int)replay["decisions"]!["spans"]!);
            Assert.Equal(1, (int)replay["decisions"]!["agreed"]!);

            var trace = await fixture.GetDataAsync($"/api/v1/traces/{(string)replay["replayTraceId"]!}");
            Assert.Equal(["root", "step1", "t1", "step2"], trace["spans"]!.AsArray().Select(s => (string?)s!["replayOfSpanId"]));

            var comparison = await fixture.GetDataAsync($"/api/v1/replays/{(string)replay["id"]!}/comparison");
            var decisions = comparison["decisions"]!;
            Assert.Equal(0.5, (double)decisions["agreementRate"]!);
            var step2 = decisions["spans"]!.AsArray().Single(s => (string?)s!["spanId"] == "step2")!;
            Assert.False((bool)step2["same"]!);
            Assert.Equal("TOOL_CALLS", (string?)step2["replay"]!["kind"]);
            Assert.Equal("tool call 1 (cancel_order): arguments differ at $.order_id", (string?)step2["reason"]);
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public async Task AModelThatCallsAToolTheRecordingNeverRanDivergesNamingTheTool()
    {
        var marker = NewMarker();
        var traceId = await IngestAgentAsync(marker);
        fixture.Llm.Responder = body => AgentTraces.StepOf(body, marker) == 2
            ? new FakeReply(ToolCalls: AgentTraces.ToolCalls(("new_2", "refund_order", """{"order_id":"42"}""")))
            : AgentTraces.Agreeing(body, marker);
        try
        {
            var replay = await ReplayAsync(traceId, new { mode = "chained", toolMatching = "fifo" });

            Assert.Equal("COMPLETED", (string?)replay["status"]);
            Assert.Equal("step2", (string?)replay["divergence"]!["spanId"]);
            Assert.Equal("the recording has no result of tool 'refund_order'", (string?)replay["divergence"]!["reason"]);
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public async Task TheSameToolWithOtherArgumentsDivergesUnderStrictMatchingButIsAnsweredUnderFifo()
    {
        var marker = NewMarker();
        var traceId = await IngestAgentAsync(marker);
        fixture.Llm.Responder = body => AgentTraces.StepOf(body, marker) == 1
            ? new FakeReply(ToolCalls: AgentTraces.ToolCalls(("new_1", "lookup_order", """{"order_id":"042"}""")))
            : AgentTraces.Agreeing(body, marker);
        try
        {
            var strict = await ReplayAsync(traceId, new { mode = "chained", toolMatching = "strict" });
            var strictRequests = RequestsFor(marker).Count;
            var fifo = await ReplayAsync(traceId, new { mode = "chained", toolMatching = "fifo" });

            Assert.Equal("step1", (string?)strict["divergence"]!["spanId"]);
            Assert.Equal(1, strictRequests);
            Assert.Equal("COMPLETED", (string?)fifo["status"]);
            Assert.Null(fifo["divergence"]);
            Assert.Equal("FIFO", (string?)fifo["overrides"]!["toolMatching"]);
            Assert.Equal(3, (int)fifo["decisions"]!["spans"]!);
            Assert.Equal(2, (int)fifo["decisions"]!["agreed"]!);
            var fifoStep2 = RequestsFor(marker).Skip(strictRequests).Single(r => AgentTraces.StepOf(r, marker) == 2);
            Assert.Equal(AgentTraces.LookupResult, (string?)Messages(fifoStep2)[3]!["content"]);
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Theory]
    [InlineData("""{"mode": "sequential"}""", "mode")]
    [InlineData("""{"mode": 1}""", "mode")]
    [InlineData("""{"mode": "chained", "toolMatching": "loose"}""", "toolMatching")]
    public async Task AnUnknownModeOrToolMatchingIsRefusedNamingTheField(string body, string field)
    {
        var traceId = await IngestAgentAsync(NewMarker());

        var response = await fixture.PostRawAsync($"/api/v1/traces/{traceId}/replays", body);

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.StartsWith(field, message);
    }

    [Fact]
    public async Task AnIsolatedReplayAlsoReportsItsDecisionsAndNeverDiverges()
    {
        var marker = NewMarker();
        var traceId = await IngestAgentAsync(marker);
        fixture.Llm.Responder = body => AgentTraces.StepOf(body, marker) == 2
            ? new FakeReply(Content: "No need to cancel.")
            : AgentTraces.Agreeing(body, marker);
        try
        {
            var replay = await ReplayAsync(traceId, new { model = "gpt-4o-mini" });

            Assert.Equal("ISOLATED", (string?)replay["overrides"]!["mode"]);
            Assert.Null(replay["divergence"]);
            Assert.Equal(3, (int)replay["decisions"]!["spans"]!);
            Assert.Equal(2, (int)replay["decisions"]!["agreed"]!);
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }
}
