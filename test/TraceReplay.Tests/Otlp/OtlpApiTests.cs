using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Otlp.OtlpPayloads;

namespace TraceReplay.Tests.Otlp;

/// <summary>The OTLP endpoints' protocol: batching across requests, size, metadata, errors, partial success.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class OtlpApiTests(ApiFixture api)
{
    private static readonly string Messages = """[{"role":"user","parts":[{"type":"text","content":"Say hi"}]}]""";

    private static KeyValue[] ChatAttributes(params KeyValue[] more) =>
    [
        Attribute("gen_ai.operation.name", "chat"),
        Attribute("gen_ai.request.model", "gpt-4o-mini"),
        Attribute("gen_ai.input.messages", Messages),
        Attribute("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"hi"}]}]"""),
        Attribute("gen_ai.usage.input_tokens", 3),
        Attribute("gen_ai.usage.output_tokens", 1),
        .. more,
    ];

    [Fact]
    public async Task SpansOutOfOrderAcrossRequestsDuplicatedOrMissingTheirParentFormOneTrace()
    {
        var traceId = NewTraceId();
        var root = Span(traceId, 0, null, "agent-run", 0, 1000, Attribute("gen_ai.operation.name", "invoke_agent"));
        var chat = Span(traceId, 1, 0, "chat gpt-4o-mini", 100, 400, ChatAttributes());
        var tool = Span(traceId, 2, 0, "execute_tool lookup", 400, 500, Attribute("gen_ai.operation.name", "execute_tool"));
        var orphan = Span(traceId, 3, 99, "late child of a span never sent", 600, 700);

        // Children first, in reverse, one of them twice; the root last, in its own request, with the chat again.
        Assert.Equal(HttpStatusCode.OK, (await api.Client.PostAsync("/v1/traces", Content(Request(orphan, tool, chat, tool)))).StatusCode);
        var partial = await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}");
        Assert.Equal(3, (int)partial["spanCount"]!);
        Assert.Equal(HttpStatusCode.OK, (await api.Client.PostAsync("/api/v1/otel/traces", Content(Request(root, chat)))).StatusCode);

        var trace = await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}");
        Assert.Equal("agent-run", (string?)trace["name"]);
        Assert.Equal(["otlp-tests"], trace["tags"]!.AsArray().Select(t => (string?)t));
        var spans = trace["spans"]!.AsArray();
        Assert.Equal(4, spans.Count);
        Assert.Equal(4, spans.Select(s => (string?)s!["id"]).Distinct().Count());
        Assert.Equal(Hex(SpanId(99)), (string?)spans.Single(s => (string?)s!["name"] == orphan.Name)!["parentSpanId"]);
        Assert.Equal("AGENT", (string?)spans.Single(s => (string?)s!["id"] == Hex(root.SpanId))!["type"]);
        Assert.Equal("TOOL", (string?)spans.Single(s => (string?)s!["id"] == Hex(tool.SpanId))!["type"]);
        Assert.Equal("CUSTOM", (string?)spans.Single(s => (string?)s!["id"] == Hex(orphan.SpanId))!["type"]);
        var llm = spans.Single(s => (string?)s!["id"] == Hex(chat.SpanId))!;
        Assert.Equal("LLM", (string?)llm["type"]);
        Assert.Equal("Say hi", (string?)llm["input"]![0]!["content"]);
        Assert.Equal("hi", (string?)llm["output"]);
    }

    [Fact]
    public async Task AThousandSpanTraceIngestsInOneRequest()
    {
        var traceId = NewTraceId();
        var spans = new List<Span> { Span(traceId, 0, null, "big", 0, 100_000) };
        for (var i = 1; i < 1000; i++)
        {
            spans.Add(i % 10 == 0
                ? Span(traceId, i, 0, $"chat {i}", i * 10, i * 10 + 5, ChatAttributes())
                : Span(traceId, i, 0, $"step {i}", i * 10, i * 10 + 5, Attribute("step", i)));
        }

        var response = await api.Client.PostAsync("/v1/traces", Content(Request([.. spans])));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trace = await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}");
        Assert.Equal(1000, (int)trace["spanCount"]!);
        Assert.Equal(1000, trace["spans"]!.AsArray().Count);
        Assert.Equal(99, trace["spans"]!.AsArray().Count(s => (string?)s!["type"] == "LLM"));
        Assert.Equal(99 * 4, (long)trace["totalTokens"]!);
    }

    [Fact]
    public async Task AttributesNoConventionMapsAreKeptInTheSpanMetadata()
    {
        var traceId = NewTraceId();
        var custom = new KeyValue
        {
            Key = "app.customer",
            Value = new AnyValue
            {
                KvlistValue = new KeyValueList { Values = { Attribute("tier", "gold"), Attribute("seats", 12) } },
            },
        };
        var list = new KeyValue
        {
            Key = "app.flags",
            Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { BoolValue = true }, new AnyValue { DoubleValue = 1.5 } } } },
        };
        var span = Span(traceId, 0, null, "chat", 0, 10, ChatAttributes(custom, list, Attribute("gen_ai.response.model", "gpt-4o-mini-2024-07-18")));
        span.Kind = TraceReplay.Api.Otlp.Proto.Span.Types.SpanKind.Client;

        await api.Client.PostAsync("/v1/traces", Content(Request(span)));

        var metadata = (await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}"))["spans"]![0]!["metadata"]!;
        Assert.Equal("gold", (string?)metadata["app.customer"]!["tier"]);
        Assert.Equal(12, (int)metadata["app.customer"]!["seats"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[true,1.5]"), metadata["app.flags"]));
        Assert.Equal("gpt-4o-mini-2024-07-18", (string?)metadata["gen_ai.response.model"]);
        Assert.Equal("CLIENT", (string?)metadata["otel.span_kind"]);
        Assert.Equal("tests", (string?)metadata["otel.scope.name"]);
        Assert.Null(metadata["gen_ai.input.messages"]);
    }

    [Fact]
    public async Task LogRecordsThatAreNotGenAiEventsAreIgnoredAndGenAiEventsWithoutASpanAreRejected()
    {
        var traceId = NewTraceId();
        var chat = Span(traceId, 0, null, "chat gpt-4o-mini", 0, 10, Attribute("gen_ai.operation.name", "chat"), Attribute("gen_ai.request.model", "gpt-4o-mini"));
        Assert.Equal(HttpStatusCode.OK, (await api.Client.PostAsync("/v1/traces", Content(Request(chat)))).StatusCode);
        var plain = new LogRecord { TraceId = traceId, SpanId = SpanId(0), Body = new AnyValue { StringValue = "GET /orders/42 200" } };
        var unattached = new LogRecord
        {
            EventName = "gen_ai.user.message",
            Body = new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("content", "lost") } } },
        };
        var user = new LogRecord
        {
            TraceId = traceId, SpanId = SpanId(0),
            Attributes = { Attribute("event.name", "gen_ai.user.message") },
            Body = new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("content", "Say hi") } } },
        };
        var request = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { plain, unattached, user } } } } } };

        var response = await api.Client.PostAsync("/v1/logs", Content(Google.Protobuf.MessageExtensions.ToByteArray(request), Protobuf));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = ExportLogsServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, answer.PartialSuccess.RejectedLogRecords);
        Assert.Contains("gen_ai.user.message: trace_id must be 16 bytes", answer.PartialSuccess.ErrorMessage);
        var span = (await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}"))["spans"]![0]!;
        Assert.Equal("""[{"role":"user","content":"Say hi"}]""", span["input"]!.ToJsonString());
        Assert.Null(span["notReplayableReason"]);
        Assert.DoesNotContain("GET /orders", span.ToJsonString());
    }

    [Fact]
    public async Task AHeaderAloneCreatesATraceAndMessageContentAloneDoesNot()
    {
        var grains = api.Services.GetRequiredService<IClusterClient>();
        var headerOnly = grains.GetGrain<ITraceGrain>("t-" + Guid.NewGuid().ToString("N"));
        var contentOnly = grains.GetGrain<ITraceGrain>("t-" + Guid.NewGuid().ToString("N"));

        Assert.Null(await headerOnly.IngestAsync(new TraceIngest(SampleTraces.Header(), [])));
        Assert.Null(await contentOnly.IngestAsync(new TraceIngest(null, [], [new SpanContent("s1", """[{"role":"user","content":"hi"}]""", null, DateTimeOffset.UtcNow)])));

        Assert.NotNull(await headerOnly.GetAsync());
        Assert.Null(await contentOnly.GetAsync());
    }

    [Fact]
    public async Task AMalformedLogsExportIsRefusedInTheErrorShape()
    {
        var response = await api.Client.PostAsync("/v1/logs", Content(Encoding.UTF8.GetBytes("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"not-hex"}]}]}]}"""), OtlpPayloads.Json));

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("logRecords[0].traceId must be a hex string", message);
    }

    [Fact]
    public async Task RejectedSpansAreCountedInPartialSuccessAndTheRestAreIngested()
    {
        var traceId = NewTraceId();
        var good = Span(traceId, 0, null, "good", 0, 10);
        var zeroTrace = Span(Google.Protobuf.ByteString.CopyFrom(new byte[16]), 1, null, "zero trace id", 0, 10);
        var backwards = Span(traceId, 2, 0, "ends before it starts", 50, 10);

        var response = await api.Client.PostAsync("/v1/traces", Content(Request(good, zeroTrace, backwards)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, answer.PartialSuccess.RejectedSpans);
        Assert.Contains("trace_id must be 16 bytes", answer.PartialSuccess.ErrorMessage);
        Assert.Contains("'ends before it starts'", answer.PartialSuccess.ErrorMessage);
        Assert.Equal(1, (int)(await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}"))["spanCount"]!);
    }

    [Fact]
    public async Task AJsonExportAnswersPartialSuccessInOtlpJson()
    {
        var json = $$"""
            {"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"t"},"spans":[
              {"traceId":"{{Guid.NewGuid():N}}","spanId":"","name":"no span id","startTimeUnixNano":"1","endTimeUnixNano":"2"}
            ]}]}]}
            """;

        var response = await api.Client.PostAsync("/api/v1/otel/traces", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await ApiFixture.ReadJsonAsync(response);
        Assert.Equal("1", (string?)answer["partialSuccess"]!["rejectedSpans"]);
        Assert.Contains("span_id must be 8 bytes", (string?)answer["partialSuccess"]!["errorMessage"]);
    }

    [Theory]
    [InlineData("application/x-protobuf", "not protobuf at all \u00ff\u00ff\u00ff", "protobuf ExportTraceServiceRequest")]
    [InlineData("application/json", "{\"resourceSpans\": [", "Malformed JSON")]
    [InlineData("application/json", "[1,2]", "ExportTraceServiceRequest object")]
    [InlineData("application/json", """{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].traceId must be a hex string")]
    [InlineData("application/json", """{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}""", "OTLP/JSON")]
    public async Task AnUnreadableBodyIsRefusedWith400AndTheErrorShape(string contentType, string body, string expected)
    {
        var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        var response = await api.Client.PostAsync("/v1/traces", content);

        Assert.Contains(expected, await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR"));
    }

    [Fact]
    public async Task ABodyThatIsNotGzipDespiteItsEncodingIsRefused()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{}"));
        content.Headers.ContentType = new MediaTypeHeaderValue(OtlpPayloads.Json);
        content.Headers.ContentEncoding.Add("gzip");

        var response = await api.Client.PostAsync("/v1/traces", content);

        Assert.Contains("gzip", await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR"));
    }

    [Fact]
    public async Task AGzipBodyThatInflatesPastTheLimitIsRefusedWith413()
    {
        var body = Encoding.UTF8.GetBytes("{\"resourceSpans\":[]," + new string(' ', (int)ApiFixture.MaxBodyBytes) + "}");

        var response = await api.Client.PostAsync("/v1/traces", Content(body, OtlpPayloads.Json, gzip: true));

        await ApiFixture.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    [Fact]
    public async Task AnotherContentTypeIsRefusedWith415()
    {
        var response = await api.Client.PostAsync("/v1/traces", new StringContent("hello", Encoding.UTF8, "text/plain"));

        await ApiFixture.AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Theory]
    [InlineData("/v1/traces")]
    [InlineData("/api/v1/otel/traces")]
    public async Task BothPathsNeedTheApiKey(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Content(Request()) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-key");

        var response = await api.Client.SendAsync(request);

        await ApiFixture.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task AReplaySkipsTheLlmSpanWithoutContentAndSaysWhich()
    {
        var traceId = NewTraceId();
        var root = Span(traceId, 0, null, "mixed", 0, 1000);
        var captured = Span(traceId, 1, 0, "chat captured", 0, 400, ChatAttributes());
        var blind = Span(traceId, 2, 0, "chat without content", 500, 900,
            Attribute("gen_ai.operation.name", "chat"), Attribute("gen_ai.request.model", "gpt-4o-mini"), Attribute("gen_ai.usage.input_tokens", 5));
        await api.Client.PostAsync("/v1/traces", Content(Request(root, captured, blind)));

        var started = await api.PostAsync($"/api/v1/traces/{Hex(traceId)}/replays", new { model = "gpt-4o" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var pending = (await ApiFixture.ReadJsonAsync(started))["data"]!;
        var done = await api.WaitForReplayAsync((string)pending["id"]!);

        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.Equal(1, (int)done["progress"]!["totalSpans"]!);
        var skipped = Assert.Single(done["skippedSpans"]!.AsArray())!;
        Assert.Equal(Hex(blind.SpanId), (string?)skipped["spanId"]);
        Assert.Equal("chat without content", (string?)skipped["name"]);
        Assert.Contains("content capture was off", (string?)skipped["reason"]);
        Assert.Equal(Hex(blind.SpanId), (string?)pending["skippedSpans"]![0]!["spanId"]);

        var replayed = await api.GetDataAsync($"/api/v1/traces/{(string)done["replayTraceId"]!}");
        var copy = replayed["spans"]!.AsArray().Single(s => (string?)s!["replayOfSpanId"] == Hex(blind.SpanId))!;
        Assert.Equal("gpt-4o-mini", (string?)copy["model"]);
        var rerun = replayed["spans"]!.AsArray().Single(s => (string?)s!["replayOfSpanId"] == Hex(captured.SpanId))!;
        Assert.StartsWith("gpt-4o", (string?)rerun["model"]);
        Assert.NotEqual("gpt-4o-mini", (string?)rerun["model"]);
    }
}
