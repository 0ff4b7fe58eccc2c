using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Api;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class ValidationApiTests(ApiFixture api)
{
    private const string Validation = "VALIDATION_ERROR";

    [Fact]
    public async Task MalformedJsonIsAValidationErrorAndStoresNothing()
    {
        var id = NewTraceId();
        var json = Of(TraceCreate(id)).ToJsonString();

        var response = await api.PostRawAsync("/api/v1/traces", json[..^2]);

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation);
        Assert.Contains("JSON", message);
        await AssertNotStoredAsync(id);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"events": []}""")]
    [InlineData("""{"batch": []}""")]
    [InlineData("""{"batch": {}}""")]
    [InlineData("[]")]
    public async Task ABodyWithoutABatchOfEventsIsAValidationErrorNamingBatch(string body)
    {
        var response = await api.PostRawAsync("/api/v1/traces", body);

        Assert.Contains("batch", await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation));
    }

    [Fact]
    public async Task AnEmptyBodyIsAValidationErrorNamingBatch()
    {
        var response = await api.Client.PostAsync("/api/v1/traces", new StringContent("", Encoding.UTF8, "application/json"));

        Assert.Contains("batch", await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation));
    }

    /// <summary>Each event is the second of a batch whose first event is a valid trace-create, which must not be stored.</summary>
    public static TheoryData<string, string> BadEvents => new()
    {
        { """{"type": "span-update", "body": {}}""", "batch[1].type" },
        { """{"body": {"id": "x", "name": "n"}}""", "batch[1].type" },
        { """{"type": "span-create"}""", "batch[1].body" },
        { """{"type": "trace-create", "body": {"name": "n"}}""", "batch[1].body.id" },
        { """{"type": "trace-create", "body": {"id": "TRACE"}}""", "batch[1].body.name" },
        { """{"type": "trace-create", "body": {"id": "TRACE", "name": "n", "tags": "a"}}""", "batch[1].body.tags" },
        { """{"type": "span-create", "body": {"id": "s", "name": "n", "type": "LLM"}}""", "batch[1].body.trace_id" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "type": "LLM"}}""", "batch[1].body.name" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n"}}""", "batch[1].body.type" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "DATABASE"}}""", "batch[1].body.type" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "TOOL", "start_time": "2025-01-01T10:00:01Z", "end_time": "2025-01-01T10:00:00Z"}}""", "batch[1].body.end_time" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "TOOL", "start_time": "yesterday"}}""", "batch[1].body.start_time" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "LLM", "usage": {"prompt_tokens": -1, "completion_tokens": 5}}}""", "batch[1].body.usage.prompt_tokens" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "LLM", "usage": {"prompt_tokens": 1, "completion_tokens": -5}}}""", "batch[1].body.usage.completion_tokens" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "LLM", "usage": {"input_tokens": -1, "output_tokens": 5}}}""", "batch[1].body.usage.input_tokens" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "LLM", "usage": {"input_tokens": 1, "output_tokens": 2.5}}}""", "batch[1].body.usage.output_tokens" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "LLM", "cost": -0.5}}""", "batch[1].body.cost" },
        { """{"type": "span-create", "body": {"trace_id": "TRACE", "id": "s", "name": "n", "type": "LLM", "status": "MAYBE"}}""", "batch[1].body.status" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public async Task ABadEventRejectsTheWholeBatchWithAnErrorNamingItsField(string badEvent, string field)
    {
        var id = NewTraceId();
        var body = $$"""{"batch": [{{TraceCreate(id).ToJsonString()}}, {{badEvent.Replace("TRACE", id)}}]}""";

        var response = await api.PostRawAsync("/api/v1/traces", body);

        Assert.Contains(field, await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation));
        await AssertNotStoredAsync(id);
    }

    [Theory]
    [InlineData("temperature", 3)]
    [InlineData("temperature", -0.1)]
    [InlineData("top_p", 1.5)]
    [InlineData("max_tokens", 0)]
    [InlineData("frequency_penalty", -3)]
    [InlineData("presence_penalty", 2.5)]
    public async Task AModelParameterOutOfRangeIsAValidationErrorNamingItAndStartsNoReplay(string parameter, double value)
    {
        var id = await IngestReplayableAsync();

        var response = await api.PostAsync($"/api/v1/traces/{id}/replays", new { modelParameters = new Dictionary<string, double> { [parameter] = value } });

        Assert.Contains($"modelParameters.{parameter}", await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation));
        Assert.Empty((await api.GetDataAsync($"/api/v1/traces/{id}/replays")).AsArray());
    }

    [Fact]
    public async Task AnUnknownPromptTemplateVersionIdIsAValidationError()
    {
        var id = await IngestReplayableAsync();

        var response = await api.PostAsync($"/api/v1/traces/{id}/replays", new { promptTemplateVersionId = "ptv_000000000000000000000000" });

        Assert.Contains("promptTemplateVersionId", await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation));
        Assert.Empty((await api.GetDataAsync($"/api/v1/traces/{id}/replays")).AsArray());
    }

    [Fact]
    public async Task ReplayingATraceWithoutLlmSpansIsAValidationError()
    {
        var id = NewTraceId();
        await api.PostRawAsync("/api/v1/traces", Of(TraceCreate(id), Span(id, "tool", "TOOL")).ToJsonString());

        var response = await api.PostAsync($"/api/v1/traces/{id}/replays", new { model = "gpt-4o-mini" });

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation);
        Assert.Contains(id, message);
        Assert.Contains("LLM", message);
    }

    [Fact]
    public async Task AModelNoProviderServesIsAValidationErrorListingTheServedModels()
    {
        var id = await IngestReplayableAsync();

        var response = await api.PostAsync($"/api/v1/traces/{id}/replays", new { model = "claude-3-5-sonnet-20241022" });

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation);
        Assert.Contains("model", message);
        Assert.Contains("claude-3-5-sonnet-20241022", message);
        Assert.Contains("gpt-4o-mini", message);
        Assert.Empty((await api.GetDataAsync($"/api/v1/traces/{id}/replays")).AsArray());
    }

    [Theory]
    [InlineData("""{"model": "gpt-4o-mini", "temprature": 0}""", "temprature")]
    [InlineData("""{"model": 4}""", "model")]
    [InlineData("""{"modelParameters": [1]}""", "modelParameters")]
    [InlineData("""{"modelParameters": {"temperature": "hot"}}""", "modelParameters.temperature")]
    [InlineData("""["gpt-4o-mini"]""", "object")]
    [InlineData("""{"model": """, "JSON")]
    public async Task ABadReplayBodyIsAValidationErrorNamingTheField(string body, string field)
    {
        var id = await IngestReplayableAsync();

        var response = await api.PostRawAsync($"/api/v1/traces/{id}/replays", body);

        Assert.Contains(field, await ApiFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest, Validation));
        Assert.Empty((await api.GetDataAsync($"/api/v1/traces/{id}/replays")).AsArray());
    }

    [Fact]
    public async Task AnUnknownTraceIsNotFoundWhenReadReplayedOrAskedForItsHistory()
    {
        var id = NewTraceId();

        var get = await api.Client.GetAsync($"/api/v1/traces/{id}");
        var replay = await api.PostAsync($"/api/v1/traces/{id}/replays", new { model = "gpt-4o-mini" });
        var history = await api.Client.GetAsync($"/api/v1/traces/{id}/replays");

        Assert.Contains(id, await ApiFixture.AssertErrorAsync(get, HttpStatusCode.NotFound, "NOT_FOUND"));
        Assert.Contains(id, await ApiFixture.AssertErrorAsync(replay, HttpStatusCode.NotFound, "NOT_FOUND"));
        Assert.Contains(id, await ApiFixture.AssertErrorAsync(history, HttpStatusCode.NotFound, "NOT_FOUND"));
    }

    [Fact]
    public async Task AnUnknownReplayIsNotFound()
    {
        var id = "rpl_" + Guid.NewGuid().ToString("N");

        var response = await api.Client.GetAsync($"/api/v1/replays/{id}");

        Assert.Contains(id, await ApiFixture.AssertErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND"));
    }

    [Fact]
    public async Task ARequestWithoutAnApiKeyIsUnauthorized()
    {
        using var anonymous = ((TestServer)api.Services.GetRequiredService<IServer>()).CreateClient();
        var id = NewTraceId();

        var list = await anonymous.GetAsync("/api/v1/traces");
        var ingest = await anonymous.PostAsync("/api/v1/traces", new StringContent(Of(TraceCreate(id)).ToJsonString(), Encoding.UTF8, "application/json"));

        var message = await ApiFixture.AssertErrorAsync(list, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await ApiFixture.AssertErrorAsync(ingest, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await AssertNotStoredAsync(id);

        // It says where a key comes from.
        Assert.Contains("TRACEREPLAY_API_KEY", message);
        Assert.Contains("/#/login", message);
    }

    [Theory]
    [InlineData("Bearer", "ts_wrong_key")]
    [InlineData("Bearer", ApiFixture.ApiKey + "x")]
    [InlineData("Basic", ApiFixture.ApiKey)]
    public async Task ARequestWithAWrongApiKeyIsUnauthorized(string scheme, string key)
    {
        var id = NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/traces")
        {
            Content = new StringContent(Of(TraceCreate(id)).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        // A header set on the request wins over the client's default one.
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, key);

        var response = await api.Client.SendAsync(request);

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.DoesNotContain(ApiFixture.ApiKey, message);
        Assert.Contains("TRACEREPLAY_API_KEY", message);
        await AssertNotStoredAsync(id);
    }

    [Fact]
    public async Task ABodyOverTheLimitIsPayloadTooLarge()
    {
        var id = NewTraceId();
        var batch = Of(TraceCreate(id), Span(id, "big", "TOOL", new JsonObject { ["output"] = new string('x', (int)ApiFixture.MaxBodyBytes) }));

        var response = await api.PostRawAsync("/api/v1/traces", batch.ToJsonString());

        await ApiFixture.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        await AssertNotStoredAsync(id);
    }

    [Fact]
    public async Task ABodyOverTheLimitWithoutAContentLengthIsPayloadTooLarge()
    {
        var id = NewTraceId();
        var batch = Of(TraceCreate(id), Span(id, "big", "TOOL", new JsonObject { ["output"] = new string('x', (int)ApiFixture.MaxBodyBytes) }));
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(batch.ToJsonString())));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/traces") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await api.Client.SendAsync(request);

        await ApiFixture.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        await AssertNotStoredAsync(id);
    }

    [Fact]
    public async Task ReplayingATraceOlderThanTheRetentionWindowIsGoneAndNamesTheTrace()
    {
        var id = NewTraceId();
        var old = DateTimeOffset.UtcNow.AddDays(-40);
        await api.PostRawAsync("/api/v1/traces", Of(TraceCreate(id, timestamp: old), LlmSpan(id, "llm", "old question", start: old)).ToJsonString());

        var response = await api.PostAsync($"/api/v1/traces/{id}/replays", new { model = "gpt-4o-mini" });

        Assert.Contains(id, await ApiFixture.AssertErrorAsync(response, HttpStatusCode.Gone, "GONE"));
        Assert.Empty((await api.GetDataAsync($"/api/v1/traces/{id}/replays")).AsArray());
    }

    [Fact]
    public async Task AnUnknownEndpointIsNotFoundInTheErrorShape()
    {
        var response = await api.Client.GetAsync("/api/v1/no-such-endpoint");

        await ApiFixture.AssertErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    private async Task<string> IngestReplayableAsync()
    {
        var id = NewTraceId();
        var response = await api.PostRawAsync("/api/v1/traces", Of(TraceCreate(id), LlmSpan(id, "llm", "validate " + id)).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    private async Task AssertNotStoredAsync(string traceId) =>
        Assert.Equal(HttpStatusCode.NotFound, (await api.Client.GetAsync($"/api/v1/traces/{traceId}")).StatusCode);
}
